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
/// in <see cref="Config"/>. <see cref="TimeScale"/> converts model seconds to real ones. <see cref="EstimateSeconds"/>
/// is the pool's estimate (the profile corrected by what the worker learned); <see cref="ProfileSeconds"/>, set by the
/// worker when it starts the attempt, is the profile's own <c>T_pre + q/QPS</c> (what the simulated executor runs, before
/// its noise and drift); null in a dispatch stored before it existed.</summary>
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
    [property: Id(10)] string Reason,
    [property: Id(11)] double? ProfileSeconds = null);

/// <summary>What an executor reports when an attempt ends. <see cref="MeasuredSeconds"/>: how long the run took, in model
/// seconds (real seconds ÷ the dispatch's time scale); null when the executor does not measure it. The worker learns
/// from it (see <c>WorkerLearning</c>).</summary>
[GenerateSerializer, Immutable, Alias("synergai.ExecutionReport")]
public sealed record ExecutionReport(
    [property: Id(0)] string Job,
    [property: Id(1)] int Attempt,
    [property: Id(2)] bool Succeeded,
    [property: Id(3)] string? Error,
    [property: Id(4)] double? MeasuredSeconds = null);

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
