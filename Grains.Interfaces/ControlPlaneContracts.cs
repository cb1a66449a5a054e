namespace SynergAI.Grains;

/// <summary>What a batch of queued jobs needs estimated: one entry per kind of job — a distinct (engine, query count)
/// pair, since <c>T_est</c> depends on nothing else — as parallel arrays, with engines by index into
/// <see cref="Engines"/>, so a batch of thousands of jobs stays small on the wire.</summary>
[GenerateSerializer, Immutable, Alias("synergai.EstimateRequest")]
public sealed record EstimateRequest(
    [property: Id(0)] string[] Engines,
    [property: Id(1)] int[] EngineOfEntry,
    [property: Id(2)] int[] Queries);

/// <summary>One worker's answer to an <see cref="EstimateRequest"/>: per entry, <c>T_est</c> in its optimal configuration
/// c* and in its default configuration (configurations by index into <see cref="Configs"/>; -1 = cannot run the engine).</summary>
[GenerateSerializer, Immutable, Alias("synergai.WorkerEstimates")]
public sealed record WorkerEstimates(
    [property: Id(0)] string Worker,
    [property: Id(1)] string[] Configs,
    [property: Id(2)] int[] OptimalConfig,
    [property: Id(3)] double[] OptimalSeconds,
    [property: Id(4)] int[] DefaultConfig,
    [property: Id(5)] double[] DefaultSeconds);

/// <summary>The coordinator's decision, sent to the worker and its executor: run attempt <see cref="Attempt"/> of the job
/// in <see cref="Config"/>. <see cref="TimeScale"/> converts model seconds to real ones.</summary>
[GenerateSerializer, Immutable, Alias("synergai.Dispatch")]
public sealed record Dispatch(
    [property: Id(0)] string Job,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string Pool,
    [property: Id(3)] string Worker,
    [property: Id(4)] string Engine,
    [property: Id(5)] int Queries,
    [property: Id(6)] string Config,
    [property: Id(7)] double EstimateSeconds,
    [property: Id(8)] double TimeScale,
    [property: Id(9)] DateTimeOffset DecidedAt,
    [property: Id(10)] string Reason);

/// <summary>What an executor reports when an attempt ends.</summary>
[GenerateSerializer, Immutable, Alias("synergai.ExecutionReport")]
public sealed record ExecutionReport(
    [property: Id(0)] string Job,
    [property: Id(1)] int Attempt,
    [property: Id(2)] bool Succeeded,
    [property: Id(3)] string? Error);

[GenerateSerializer, Alias("synergai.StartResult")]
public enum StartResult
{
    /// <summary>The executor started the attempt.</summary>
    Started = 0,
    /// <summary>The worker is running another job (the coordinator's view was stale).</summary>
    Busy = 1,
    /// <summary>The job no longer wants to run (cancelled or finished).</summary>
    JobDeclined = 2,
    /// <summary>The executor could not start the attempt; it counts as a failed attempt.</summary>
    ExecutorFailed = 3,
    /// <summary>The worker is not registered.</summary>
    Unregistered = 4,
}

/// <summary>A pool's run-time settings: its policy, its time scale and how often it re-evaluates the queue.</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolSettings")]
public sealed record PoolSettings(
    [property: Id(0)] string Policy,
    [property: Id(1)] double TimeScale,
    [property: Id(2)] TimeSpan ReevaluationInterval);

/// <summary>A queued job as the coordinator sees it after its latest evaluation.</summary>
[GenerateSerializer, Immutable, Alias("synergai.QueuedJobView")]
public sealed record QueuedJobView(
    [property: Id(0)] string Job,
    [property: Id(1)] string Engine,
    [property: Id(2)] int Attempts,
    [property: Id(3)] double Urgency,
    [property: Id(4)] int AcceptableWorkers,
    [property: Id(5)] string WaitReason);

/// <summary>A pool's state: settings, workers, the queue (in arrival order) and what is running.</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolStatus")]
public sealed record PoolStatus(
    [property: Id(0)] string Pool,
    [property: Id(1)] PoolSettings Settings,
    [property: Id(2)] IReadOnlyList<string> Workers,
    [property: Id(3)] IReadOnlyList<string> Engines,
    [property: Id(4)] IReadOnlyList<QueuedJobView> Queue,
    [property: Id(5)] int Running);

/// <summary>How long one full re-evaluation took: estimates fetched from every worker, then one policy round.</summary>
[GenerateSerializer, Immutable, Alias("synergai.ReevaluationTiming")]
public sealed record ReevaluationTiming(
    [property: Id(0)] int QueuedJobs,
    [property: Id(1)] int Workers,
    [property: Id(2)] double EstimateMilliseconds,
    [property: Id(3)] double PolicyMilliseconds);
