namespace SynergAI.Scheduling.Policies;

/// <summary>What it would take to run a job on one worker: the configuration and the estimated run time in it.</summary>
public readonly record struct Estimate(int Worker, string Config, double Seconds);

/// <summary>
/// A job waiting in the queue, with its estimates on every worker that can run its engine. The estimates never
/// change while it waits (they depend on the engine and the query count only), so callers compute them once:
/// the simulator from the <see cref="ConfigurationDictionary"/>, the control plane from its worker nodes.
/// </summary>
public sealed class QueuedJob
{
    /// <param name="fastestFirst">The estimate on every worker that can run the engine, in its optimal configuration
    /// <c>c*</c>, sorted by run time (ties by worker index).</param>
    /// <param name="defaults">Indexed by worker: the estimate in the worker's default configuration, or null
    /// when it cannot run the engine.</param>
    public QueuedJob(Job job, Estimate[] fastestFirst, Estimate?[] defaults)
    {
        Job = job;
        FastestFirst = fastestFirst;
        Defaults = defaults;
    }

    public static QueuedJob Create(Job job, ConfigurationDictionary dictionary)
    {
        var engine = dictionary.EngineIndex(job.Engine);
        var workers = dictionary.Workers.Count;
        var fastest = new List<Estimate>(workers);
        var defaults = new Estimate?[workers];
        for (var w = 0; w < workers; w++)
        {
            if (dictionary.Optimal(engine, w) is { } best)
                fastest.Add(new Estimate(w, best.Config, best.EstimateSeconds(job.Queries)));
            if (dictionary.Default(engine, w) is { } standard)
                defaults[w] = new Estimate(w, standard.Config, standard.EstimateSeconds(job.Queries));
        }
        fastest.Sort((a, b) => a.Seconds != b.Seconds ? a.Seconds.CompareTo(b.Seconds) : a.Worker.CompareTo(b.Worker));
        return new QueuedJob(job, [.. fastest], defaults);
    }

    public Job Job { get; }
    public IReadOnlyList<Estimate> FastestFirst { get; }
    public IReadOnlyList<Estimate?> Defaults { get; }

    /// <summary>The worker this job is bound to, for policies that bind at arrival (SRR, SLO-MAEL); -1 when unbound.</summary>
    public int BoundWorker { get; set; } = -1;

    /// <summary>SynergAI's latest evaluation: <c>T_remaining − T_est</c> on the fastest worker (smaller is more urgent;
    /// negative means a violation is certain; NaN until evaluated) and how many workers can still meet the deadline.</summary>
    public double Urgency { get; set; } = double.NaN;
    public int AcceptableWorkers { get; set; }

    /// <summary>Why the job is still waiting after the latest scheduling round.</summary>
    public string WaitReason { get; set; } = "not yet evaluated";

    public override string ToString() => Job.Id;
}
