namespace SynergAI.Scheduling.Policies;

/// <summary>What a policy sees in one scheduling round: the time, the workers and the queue in arrival order.</summary>
public sealed record SchedulingContext(double Now, IReadOnlyList<WorkerState> Workers, IReadOnlyList<QueuedJob> Queue)
{
    FreeWorkers? _free;

    /// <param name="free">The free workers by class, kept by the caller alongside <paramref name="workers"/>.</param>
    public SchedulingContext(double now, IReadOnlyList<WorkerState> workers, IReadOnlyList<QueuedJob> queue, FreeWorkers free)
        : this(now, workers, queue) => _free = free;

    /// <summary>The free workers by class; built from <see cref="Workers"/> when the caller keeps no index.</summary>
    public FreeWorkers Free => _free ??= FreeWorkers.Of(Workers);
}

/// <summary>A policy's decision: start <paramref name="Job"/> now on <paramref name="Worker"/> in <paramref name="Config"/>,
/// and why.</summary>
public sealed record Placement(QueuedJob Job, int Worker, string Config, double EstimateSeconds, string Reason);

/// <summary>
/// A scheduling policy: pure decisions on plain data, no I/O and no clock of its own, so that the simulator and
/// the control plane run the very same code. The caller applies the placements (and may apply none of them);
/// a policy must only place queued jobs on free workers, each at most once.
/// </summary>
public interface ISchedulingPolicy
{
    /// <summary>The policy's name on the command line and in reports (<c>synergai</c>, <c>rr</c>, …).</summary>
    string Name { get; }

    /// <summary>True when the policy binds each job to one worker on arrival, looking at the whole queue (SRR,
    /// SLO-MAEL): such a pool's queue cannot be split into shards.</summary>
    bool BindsOnArrival => false;

    /// <summary>Called once when <paramref name="job"/> joins the queue (it is already in <c>context.Queue</c>).
    /// Policies that bind a job to a worker on arrival (SRR, SLO-MAEL) do it here.</summary>
    void OnArrival(QueuedJob job, SchedulingContext context) { }

    /// <summary>Chooses which queued jobs start now and where. Called on every arrival, every completion and
    /// periodically, with time passed in.</summary>
    IReadOnlyList<Placement> Schedule(SchedulingContext context);

    /// <summary>A policy that decides as this one would from now on: its state copied (a round-robin pointer, learnt
    /// prices), so that a forecast run on a copy of the pool predicts what the pool will do. Stateless policies are
    /// created afresh.</summary>
    ISchedulingPolicy Copy() => PolicyCatalog.Create(Name);
}
