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
    /// <summary>The longest engine name, job id or pool name accepted: names end up in keys, labels and table rows.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The most queries one job may ask for: about 6 hours on the reference testbed's fastest engine; more
    /// would hold a worker for days.</summary>
    public const int MaxQueries = 1_000_000;

    /// <summary>The longest QoS deadline accepted, in model seconds (about 32 years: a deadline that never binds, which
    /// tests use to keep a worker busy; beyond it a value is a typo, and 1e300 would print as a 301-digit number).</summary>
    public const double MaxQosSeconds = 1e9;

    /// <summary>Why the spec is invalid, or null when it is fine. Engine names are checked by the pool, which knows its workers.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Engine) ? "engine must not be empty"
        : Engine.Length > MaxNameLength ? $"engine name is {Engine.Length} characters long; at most {MaxNameLength} are allowed"
        : Queries <= 0 ? $"queries must be greater than 0, got {Queries}"
        : Queries > MaxQueries ? $"queries must be at most {MaxQueries}, got {Queries}"
        : !double.IsFinite(QosSeconds) ? $"qos must be a finite number of seconds, got {QosSeconds}"
        : QosSeconds <= 0 ? $"qos must be greater than 0 seconds, got {QosSeconds}"
        : QosSeconds > MaxQosSeconds ? $"qos must be at most {MaxQosSeconds:0} seconds, got {QosSeconds:g4}"
        : null;
}

/// <summary>A job's lifecycle: Submitted → Queued → Dispatched → Running → Completed | Failed | Cancelled.
/// A failed attempt (executor failure, lost heartbeat) sends it back to Queued with the next attempt number.</summary>
[GenerateSerializer, Alias("synergai.JobState")]
public enum JobState
{
    /// <summary>Accepted by its job grain, not yet in its pool's queue.</summary>
    Submitted = 0,
    /// <summary>Waiting in its pool's queue (again, after a failed attempt).</summary>
    Queued = 1,
    /// <summary>Placed on a worker, which has not yet started it.</summary>
    Dispatched = 2,
    /// <summary>Its attempt runs on the worker.</summary>
    Running = 3,
    /// <summary>Ran to completion (in time or not: see <see cref="JobStatus.Violated"/>).</summary>
    Completed = 4,
    /// <summary>Every attempt failed (<c>SynergAI:MaxAttempts</c>).</summary>
    Failed = 5,
    /// <summary>Cancelled by a client.</summary>
    Cancelled = 6,
}

/// <summary>Everything known about a job. Times are UTC; <see cref="Violated"/> and <see cref="ExcessSeconds"/> are in
/// model seconds (real seconds ÷ <see cref="TimeScale"/>). <see cref="BestEffort"/>: admitted under <c>best-effort</c>
/// with a forecast that missed its deadline, so it runs only on workers no unflagged job was given.</summary>
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
    [property: Id(14)] double TimeScale,
    [property: Id(15)] bool BestEffort = false)
{
    /// <summary>True when the job is Completed, Failed or Cancelled: nothing will change it any more.</summary>
    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>Model seconds from submission to <paramref name="at"/>.</summary>
    public double? ModelSecondsSinceSubmission(DateTimeOffset? at) => at is { } t ? (t - SubmittedAt).TotalSeconds / TimeScale : null;
}

/// <summary>One change of a job's state or attempt: <see cref="Status"/> just after it, numbered by
/// <see cref="Sequence"/> (1, 2, … over the job's life, stored with the job). The job grain keeps the changes of its
/// current activation; a job whose grain moved silo (its silo died) starts again from its stored state.</summary>
[GenerateSerializer, Immutable, Alias("synergai.JobChange")]
public sealed record JobChange(
    [property: Id(0)] int Sequence,
    [property: Id(1)] JobStatus Status);
