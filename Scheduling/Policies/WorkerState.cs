namespace SynergAI.Scheduling.Policies;

/// <summary>A worker as the policies see it: its class, free or busy, and its recent history.</summary>
/// <param name="class">The worker's class: workers with identical profiles share one, and with it their estimates.</param>
public sealed class WorkerState(int index, Worker worker, int @class)
{
    /// <summary>A worker that is a class of its own.</summary>
    public WorkerState(int index, Worker worker) : this(index, worker, index) { }

    public int Index { get; } = index;
    public Worker Worker { get; } = worker;

    /// <summary>Index into a job's estimates (<see cref="QueuedJob.FastestFirst"/>, <see cref="QueuedJob.Defaults"/>).</summary>
    public int Class { get; internal set; } = @class;

    /// <summary>How strong the worker is for Best Effort: its mean QPS over the engines it runs, in its default
    /// configuration (see <see cref="ConfigurationDictionary.DefaultStrength"/>).</summary>
    public double Strength { get; set; }

    /// <summary>The job running on this worker, or null when it is free.</summary>
    public string? RunningJob { get; private set; }
    public bool IsFree => RunningJob is null;

    /// <summary>When the running job is expected to finish, by its estimate (it may run longer).</summary>
    public double ExpectedFreeAt { get; private set; }

    /// <summary>When the worker last became free; −∞ if it has never run a job.</summary>
    public double LastFreeAt { get; private set; } = double.NegativeInfinity;

    public void Start(string job, double now, double estimateSeconds)
    {
        if (!IsFree) throw new InvalidOperationException($"worker '{Worker.Name}' is busy with '{RunningJob}', cannot start '{job}'");
        RunningJob = job;
        ExpectedFreeAt = now + estimateSeconds;
    }

    public void Finish(double now)
    {
        RunningJob = null;
        LastFreeAt = now;
    }

    /// <summary>Puts the worker in a given state: a placement undone, or a replica of another pool's worker.</summary>
    internal void Restore(string? runningJob, double expectedFreeAt, double lastFreeAt)
    {
        RunningJob = runningJob;
        ExpectedFreeAt = expectedFreeAt;
        LastFreeAt = lastFreeAt;
    }

    /// <summary>The estimated time left of the running job (0 when free or overdue).</summary>
    public double RemainingSeconds(double now) => IsFree ? 0 : Math.Max(0, ExpectedFreeAt - now);
}
