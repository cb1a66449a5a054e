namespace SynergAI.Grains;

/// <summary>What a client asks for: run <paramref name="Queries"/> queries of <paramref name="Engine"/> within
/// <paramref name="QosSeconds"/> of submission. Seconds are the pool's model seconds (real seconds ÷ its time scale).
/// <paramref name="Admission"/> overrides the pool's admission control for this submission (<c>accept</c>,
/// <c>reject</c>, <c>best-effort</c>; null: the pool's).</summary>
[GenerateSerializer, Immutable, Alias("synergai.JobSpec")]
public sealed record JobSpec(
    [property: Id(0)] string Engine,
    [property: Id(1)] int Queries,
    [property: Id(2)] double QosSeconds,
    [property: Id(3)] string? Admission = null)
{
    /// <summary>Why the spec is invalid, or null when it is fine. Engine names are checked by the pool, which knows its workers.</summary>
    /// <summary>The longest engine name, job id or pool name accepted: names end up in keys, labels and table rows.</summary>
    public const int MaxNameLength = 200;

    public string? Problem() =>
        string.IsNullOrWhiteSpace(Engine) ? "engine must not be empty"
        : Engine.Length > MaxNameLength ? $"engine name is {Engine.Length} characters long; at most {MaxNameLength} are allowed"
        : Queries <= 0 ? $"queries must be greater than 0, got {Queries}"
        : !double.IsFinite(QosSeconds) ? $"qos must be a finite number of seconds, got {QosSeconds}"
        : QosSeconds <= 0 ? $"qos must be greater than 0 seconds, got {QosSeconds}"
        : null;
}

/// <summary>A job's lifecycle: Submitted → Queued → Dispatched → Running → Completed | Failed | Cancelled.
/// A failed attempt (executor failure, lost heartbeat) sends it back to Queued with the next attempt number.</summary>
[GenerateSerializer, Alias("synergai.JobState")]
public enum JobState
{
    Submitted = 0,
    Queued = 1,
    Dispatched = 2,
    Running = 3,
    Completed = 4,
    Failed = 5,
    Cancelled = 6,
}

/// <summary>Everything known about a job. Times are UTC; <see cref="Violated"/> and <see cref="ExcessSeconds"/> are in
/// model seconds (real seconds ÷ <see cref="TimeScale"/>).</summary>
[GenerateSerializer, Immutable, Alias("synergai.JobStatus")]
public sealed record JobStatus(
    [property: Id(0)] string Id,
    [property: Id(1)] string Pool,
    [property: Id(2)] JobSpec Spec,
    [property: Id(3)] JobState State,
    [property: Id(4)] int Attempts,
    [property: Id(5)] string? Worker,
    [property: Id(6)] string? Config,
    [property: Id(7)] DateTimeOffset SubmittedAt,
    [property: Id(8)] DateTimeOffset? DispatchedAt,
    [property: Id(9)] DateTimeOffset? StartedAt,
    [property: Id(10)] DateTimeOffset? CompletedAt,
    [property: Id(11)] bool? Violated,
    [property: Id(12)] double? ExcessSeconds,
    [property: Id(13)] string? Reason,
    [property: Id(14)] double TimeScale)
{
    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>Model seconds from submission to <paramref name="at"/>.</summary>
    public double? ModelSecondsSinceSubmission(DateTimeOffset? at) => at is { } t ? (t - SubmittedAt).TotalSeconds / TimeScale : null;
}
