namespace SynergAI.Grains;

/// <summary>What a job's grain persists (state name <c>job</c>): its spec and where it is in its lifecycle.</summary>
[GenerateSerializer, Alias("synergai.JobRecord")]
public sealed class JobRecord
{
    [Id(0)] public JobSpec? Spec { get; set; }
    [Id(1)] public string Pool { get; set; } = "";
    [Id(2)] public JobState State { get; set; }
    /// <summary>The last attempt number handed to a worker.</summary>
    [Id(3)] public int Attempts { get; set; }
    [Id(4)] public string? Worker { get; set; }
    [Id(5)] public string? Config { get; set; }
    [Id(6)] public DateTimeOffset SubmittedAt { get; set; }
    [Id(7)] public DateTimeOffset? DispatchedAt { get; set; }
    [Id(8)] public DateTimeOffset? StartedAt { get; set; }
    [Id(9)] public DateTimeOffset? CompletedAt { get; set; }
    [Id(10)] public string? Reason { get; set; }
    [Id(11)] public double TimeScale { get; set; } = 1;
    /// <summary>Attempts that failed (executor failure, lost heartbeat, lost with a silo); at the maximum the job fails.</summary>
    [Id(12)] public int Failures { get; set; }
    /// <summary>Sequence number of the latest change of state or attempt (<see cref="JobChange"/>), for watchers.</summary>
    [Id(13)] public int Changes { get; set; }
    /// <summary>Admitted under <c>best-effort</c> with a forecast that misses its deadline: planned only on the workers
    /// a round leaves after every unflagged job.</summary>
    [Id(14)] public bool BestEffort { get; set; }
}
