namespace SynergAI.Grains;

/// <summary>A pool's run-time settings: its policy, its time scale, how often it re-evaluates the queue, how many
/// shards its queue is split into (0: the silo's <c>SynergAI:Shards</c>; a policy that binds jobs to workers on arrival
/// always uses one), and its admission control (<c>accept</c>, <c>reject</c> or <c>best-effort</c>; null: accept).</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolSettings")]
public sealed record PoolSettings(
    [property: Id(0)] string Policy,
    [property: Id(1)] double TimeScale,
    [property: Id(2)] TimeSpan ReevaluationInterval,
    [property: Id(3)] int Shards = 0,
    [property: Id(4)] string? Admission = null);

/// <summary>A queued job as the coordinator sees it after its latest evaluation: why it waits, as a stable code
/// (<c>AllAcceptableWorkersBusy</c>, <c>HeldForFasterWorker</c>, …: the scheduling core's <c>WaitCode</c>) and words;
/// <see cref="BestEffort"/> when it was admitted flagged best-effort.</summary>
[GenerateSerializer, Immutable, Alias("synergai.QueuedJobView")]
public sealed record QueuedJobView(
    [property: Id(0)] string Job,
    [property: Id(1)] string Engine,
    [property: Id(2)] int Attempts,
    [property: Id(3)] double Urgency,
    [property: Id(4)] int AcceptableWorkers,
    [property: Id(5)] string WaitReason,
    [property: Id(6)] string WaitCode = "NotYetEvaluated",
    [property: Id(7)] int Queries = 0,
    [property: Id(8)] double QosSeconds = 0,
    [property: Id(9)] bool BestEffort = false);

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
