namespace SynergAI.Grains;

/// <summary>A worker machine (a row of workers.csv).</summary>
[GenerateSerializer, Immutable, Alias("synergai.WorkerSpec")]
public sealed record WorkerSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] string Arch,
    [property: Id(2)] int Cpus,
    [property: Id(3)] double MemoryGb,
    [property: Id(4)] string DefaultConfig);

/// <summary>One profiled operating point of an engine on the worker (a row of profile.csv without the worker column).</summary>
[GenerateSerializer, Immutable, Alias("synergai.ProfilePoint")]
public sealed record ProfilePoint(
    [property: Id(0)] string Engine,
    [property: Id(1)] string Config,
    [property: Id(2)] double Qps,
    [property: Id(3)] double PreprocessSeconds);

/// <summary>Whether a worker can take an attempt.</summary>
[GenerateSerializer, Alias("synergai.WorkerCondition")]
public enum WorkerCondition
{
    /// <summary>No worker has registered under this name.</summary>
    Unregistered = 0,
    /// <summary>Registered and running nothing.</summary>
    Free = 1,
    /// <summary>Running an attempt.</summary>
    Busy = 2,
}

/// <summary>A worker node as its grain knows it.</summary>
/// <param name="Name">The worker's name (its grain's key).</param>
/// <param name="Pool">The pool it belongs to; null if it never registered.</param>
/// <param name="Spec">Its machine as registered; null if it never registered.</param>
/// <param name="Condition">Unregistered, free or busy.</param>
/// <param name="RunningJob">The job it runs, if any.</param>
/// <param name="RunningAttempt">The attempt number of that job it runs.</param>
/// <param name="RunningConfig">The configuration it runs it in.</param>
/// <param name="LastFreeAt">When it last became free (UTC).</param>
/// <param name="LastHeartbeat">The executor's latest heartbeat for the running attempt (UTC).</param>
/// <param name="Dictionary">The worker's own part of the configuration dictionary: its optimal configuration c* per engine.</param>
/// <param name="DriftFactor">Set when the worker is flagged as drifted: its measured run times left the profile's band
/// persistently (the median of its latest runs, measured ÷ profile, is outside ±15%); the value is that median. Null
/// when not flagged.</param>
[GenerateSerializer, Immutable, Alias("synergai.WorkerStatus")]
public sealed record WorkerStatus(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Pool,
    [property: Id(2)] WorkerSpec? Spec,
    [property: Id(3)] WorkerCondition Condition,
    [property: Id(4)] string? RunningJob,
    [property: Id(5)] int RunningAttempt,
    [property: Id(6)] string? RunningConfig,
    [property: Id(7)] DateTimeOffset? LastFreeAt,
    [property: Id(8)] DateTimeOffset? LastHeartbeat,
    [property: Id(9)] IReadOnlyList<ProfilePoint> Dictionary,
    [property: Id(10)] double? DriftFactor = null);
