using Microsoft.Extensions.Options;
using SynergAI.Scheduling.Formats;
using SynergAI.Grains.Coordination;

namespace SynergAI.Grains;

/// <summary>The control plane's settings (configuration section <c>SynergAI</c>; environment <c>SynergAI__TimeScale</c> …).</summary>
public sealed class SynergAiOptions
{
    public const string Section = "SynergAI";

    public const string SimulatedExecutor = "simulated";
    public const string KubernetesExecutor = "kubernetes";

    /// <summary>What runs dispatched attempts: <c>simulated</c> (waits the estimated time; the default) or
    /// <c>kubernetes</c> (one pod per attempt on the worker's node; settings in <c>SynergAI:Kubernetes</c>).</summary>
    public string Executor { get; set; } = SimulatedExecutor;

    /// <summary>Testbed folder (workers.csv + profile.csv) registered at start-up; empty = the built-in reference testbed.</summary>
    public string? Testbed { get; set; }

    /// <summary>The pool the testbed's workers join and clients use by default.</summary>
    public string Pool { get; set; } = "default";

    /// <summary>Scheduling policy of new pools: one of <see cref="Scheduling.Policies.PolicyCatalog.Names"/>.</summary>
    public string Policy { get; set; } = "synergai";

    /// <summary>Real time between periodic re-evaluations of a pool's queue (besides every arrival and completion).</summary>
    public TimeSpan ReevaluationInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Real seconds per model second: the simulated executor runs a job for <c>(T_pre + q/QPS) × TimeScale</c>
    /// real seconds, and deadlines are model seconds. 1 = real time; 0.01 = a hundred times faster.</summary>
    public double TimeScale { get; set; } = 1;

    /// <summary>Attempts a job gets before it is Failed (an attempt ends early on executor failure or lost heartbeat).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>A running attempt with no heartbeat for this long (real time) is declared lost and its job requeued.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often (real time) the executor (simulated or Kubernetes) sends a heartbeat for each running attempt.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A simulated run whose worker has acknowledged none of its heartbeats sent in this long stops itself:
    /// half of <see cref="HeartbeatTimeout"/>, so it has stopped before its worker, hearing nothing for the whole
    /// timeout, declares it lost and lets its job run elsewhere — even when the worker's grain moved to another silo
    /// while this one lives on, unreachable for a while.</summary>
    public TimeSpan RunLease => HeartbeatTimeout / 2;

    /// <summary>Simulated executor: run-time noise, a LogNormal(0, Noise) factor per job (0 = runs take their estimate).</summary>
    public double Noise { get; set; }

    /// <summary>Simulated executor: seed of the noise factors.</summary>
    public int NoiseSeed { get; set; } = 1;

    /// <summary>Simulated executor: workers whose real run times leave their profile, as <c>experiment --drift</c>:
    /// <c>WORKER=FACTOR[@TIME]</c>, several separated by commas or semicolons (e.g. <c>agx=1.5</c> or
    /// <c>agx=1.5@600,nano=0.8</c>). A run of that worker started at least TIME model seconds (the pool's time scale)
    /// after this silo started takes FACTOR × its profiled time (before noise). Empty = none.</summary>
    public string? Drift { get; set; }

    /// <summary>The parsed <see cref="Drift"/> (throws <see cref="ArgumentException"/> on a bad entry).</summary>
    public IReadOnlyList<SynergAI.Scheduling.Simulation.WorkerDrift> Drifts() =>
        [.. (Drift ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(SynergAI.Scheduling.Simulation.WorkerDrift.Parse)];

    /// <summary>Finished jobs a pool remembers for listing (each shard keeps its share).</summary>
    public int RecentJobs { get; set; } = 10_000;

    /// <summary>Shards a new pool's queue is split into, placed by Orleans across the silos (a pool whose policy binds
    /// jobs to workers on arrival, SRR or SLO-MAEL, uses one). A pool's own setting overrides it.</summary>
    public int Shards { get; set; } = 4;

    /// <summary>Admission control of new pools: <c>accept</c>, <c>reject</c> (a job the forecast says will miss its
    /// deadline is refused at submission, with the tightest deadline on offer; nothing stored) or <c>best-effort</c>.</summary>
    public string Admission { get; set; } = "accept";

    /// <summary>How often each shard compares its queue with the jobs' records (the job history) and puts back what is
    /// missing or lost.</summary>
    public TimeSpan AntiEntropyInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Rejects bad settings at start-up with one message per problem.</summary>
public sealed class SynergAiOptionsValidator : IValidateOptions<SynergAiOptions>
{
    public ValidateOptionsResult Validate(string? name, SynergAiOptions o)
    {
        var problems = new List<string>(PoolSettingsRules.Problems(new PoolSettings(o.Policy, o.TimeScale, o.ReevaluationInterval, o.Shards, o.Admission),
            setting => $"{SynergAiOptions.Section}:{setting}"));
        if (o.Shards == 0) problems.Add("SynergAI:Shards must be at least 1, got 0");
        if (o.Executor?.Trim().ToLowerInvariant() is not (SynergAiOptions.SimulatedExecutor or SynergAiOptions.KubernetesExecutor))
            problems.Add($"SynergAI:Executor '{o.Executor}' is not an executor; use {SynergAiOptions.SimulatedExecutor} or {SynergAiOptions.KubernetesExecutor}");
        if (o.HeartbeatTimeout <= TimeSpan.Zero) problems.Add($"SynergAI:HeartbeatTimeout must be positive, got {o.HeartbeatTimeout}");
        if (o.HeartbeatInterval <= TimeSpan.Zero || o.HeartbeatInterval >= o.HeartbeatTimeout)
            problems.Add($"SynergAI:HeartbeatInterval must be positive and shorter than HeartbeatTimeout ({o.HeartbeatTimeout}), got {o.HeartbeatInterval}");
        if (o.MaxAttempts < 1) problems.Add($"SynergAI:MaxAttempts must be at least 1, got {o.MaxAttempts}");
        if (!double.IsFinite(o.Noise) || o.Noise < 0) problems.Add($"SynergAI:Noise must be a finite number ≥ 0, got {o.Noise}");
        if (string.IsNullOrWhiteSpace(o.Pool)) problems.Add("SynergAI:Pool must not be empty");
        try
        {
            var drifts = o.Drifts();
            if (drifts.GroupBy(d => d.Worker, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                problems.Add($"SynergAI:Drift names worker '{twice.Key}' more than once");
        }
        catch (ArgumentException e) { problems.Add($"SynergAI:Drift: {e.Message}"); }
        if (o.AntiEntropyInterval <= TimeSpan.Zero) problems.Add($"SynergAI:AntiEntropyInterval must be positive, got {o.AntiEntropyInterval}");
        if (o.RecentJobs < 0) problems.Add($"SynergAI:RecentJobs must not be negative, got {o.RecentJobs}");
        if (!string.IsNullOrWhiteSpace(o.Testbed))
        {
            try { TestbedFiles.Load(o.Testbed); }
            catch (Exception e) when (e is InputFileException or IOException) { problems.Add($"SynergAI:Testbed: {e.Message}"); }
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
