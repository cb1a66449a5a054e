namespace SynergAI.Scheduling.Policies;

/// <summary>
/// A job waiting in the queue, with its estimates on every class of worker that can run its engine. The estimates
/// never change while it waits (they depend on the engine, the query count and the class's profile only), so callers
/// compute them once: the simulator from the <see cref="ConfigurationDictionary"/>, the control plane from its workers.
/// </summary>
public sealed class QueuedJob
{
    /// <param name="fastestFirst">The estimate on every class that can run the engine, in its optimal configuration
    /// <c>c*</c>, sorted by run time (ties by class index).</param>
    /// <param name="defaults">Indexed by class: the estimate in the class's default configuration, or null when it
    /// cannot run the engine.</param>
    public QueuedJob(Job job, Estimate[] fastestFirst, Estimate?[] defaults)
    {
        Job = job;
        QosSeconds = job.QosSeconds;
        ArrivalSeconds = job.ArrivalSeconds;
        Fastest = fastestFirst;
        FastestSeconds = fastestFirst.Length > 0 ? fastestFirst[0].Seconds : double.NaN;
        FastestFirst = fastestFirst;
        Defaults = defaults;
    }

    public static QueuedJob Create(Job job, ConfigurationDictionary dictionary)
    {
        var engine = dictionary.EngineIndex(job.Engine);
        var classes = dictionary.ClassCount;
        var fastest = new List<Estimate>(classes);
        var defaults = new Estimate?[classes];
        for (var c = 0; c < classes; c++)
        {
            var w = dictionary.FirstOfClass(c);
            if (dictionary.Optimal(engine, w) is { } best)
                fastest.Add(new Estimate(c, best.Config, best.EstimateSeconds(job.Queries)));
            if (dictionary.Default(engine, w) is { } standard)
                defaults[c] = new Estimate(c, standard.Config, standard.EstimateSeconds(job.Queries));
        }
        return new QueuedJob(job, SortFastestFirst(fastest), defaults);
    }

    /// <summary>Orders estimates by run time, ties by class index.</summary>
    public static Estimate[] SortFastestFirst(List<Estimate> estimates)
    {
        estimates.Sort((a, b) => a.Seconds != b.Seconds ? a.Seconds.CompareTo(b.Seconds) : a.Class.CompareTo(b.Class));
        return [.. estimates];
    }

    public Job Job { get; }
    public IReadOnlyList<Estimate> FastestFirst { get; }
    /// <summary><see cref="FastestFirst"/> as the array it is, for the policies' inner loops.</summary>
    internal readonly Estimate[] Fastest;
    /// <summary>The job's deadline and arrival, next to the fields a round reads.</summary>
    internal readonly double QosSeconds, ArrivalSeconds;
    /// <summary>The run time on the fastest class (NaN when no class runs the engine).</summary>
    internal readonly double FastestSeconds;
    public IReadOnlyList<Estimate?> Defaults { get; }

    /// <summary>Admitted best-effort although its forecast missed its deadline (see <see cref="Forecast.Admission"/>):
    /// the <see cref="Pool.PoolBook"/> gives it only the workers a round leaves after every job not so flagged. Set it
    /// before the job joins a book's queue (the book counts its flagged jobs as they come and go).</summary>
    public bool BestEffort { get; set; }

    /// <summary>The worker this job is bound to, for policies that bind at arrival (SRR, SLO-MAEL); -1 when unbound.</summary>
    public int BoundWorker { get; set; } = -1;

    /// <summary>SynergAI's latest evaluation: <c>T_remaining − T_est</c> on the fastest class (smaller is more urgent;
    /// negative means a violation is certain; NaN until evaluated), how many classes can still meet the deadline (a
    /// prefix of <see cref="FastestFirst"/>) and how many workers they hold.</summary>
    public double Urgency { get; set; } = double.NaN;
    public int AcceptableClasses { get; set; }
    public int AcceptableWorkers { get; set; }

    /// <summary>Why the job is still waiting after the latest scheduling round: a stable code, and words that may
    /// add details (counts, names) to the code's own words.</summary>
    public WaitCode WaitCode { get; private set; } = WaitCode.NotYetEvaluated;
    /// <summary>Set it through <see cref="Waits"/>, which keeps the code with it.</summary>
    public string WaitReason { get; set; } = WaitReasons.Words(WaitCode.NotYetEvaluated);

    /// <summary>True once a round has left the job waiting (kept by the <see cref="Pool.PoolBook"/>).</summary>
    public bool HasWaited { get; internal set; }

    /// <summary>Why it waited before it was placed: its latest code, or <see cref="WaitCode.None"/> when the first round
    /// that saw it placed it. What the simulator's per-job output and the live pool report.</summary>
    public WaitCode WaitedFor => HasWaited ? WaitCode : WaitCode.None;

    /// <summary>The latest round left the job waiting, for <paramref name="code"/>; <paramref name="details"/> replace
    /// the code's words when given.</summary>
    public void Waits(WaitCode code, string? details = null)
    {
        WaitCode = code;
        WaitReason = details ?? WaitReasons.Words(code);
    }

    /// <summary>A copy with the same job, estimates and binding, as fresh to the policy otherwise (a forecast runs the
    /// policy on copies, so the pool's own view of its jobs never changes).</summary>
    public QueuedJob Copy() => WithEstimates([.. FastestFirst], [.. Defaults]);

    /// <summary>The same job with new estimates (a corrected profile), keeping its binding, wait reason and place.</summary>
    public QueuedJob WithEstimates(Estimate[] fastestFirst, Estimate?[] defaults) =>
        new(Job, fastestFirst, defaults) { BestEffort = BestEffort, BoundWorker = BoundWorker, WaitCode = WaitCode, WaitReason = WaitReason, HasWaited = HasWaited, Order = Order };


    /// <summary>Its place in arrival order, handed out by the <see cref="Pool.PoolBook"/> that queues it.</summary>
    internal long Order { get; set; }
    /// <summary>Placed in the round being applied; the book drops it from the queue in one pass.</summary>
    internal bool Placed { get; set; }

    public override string ToString() => Job.Id;
}
