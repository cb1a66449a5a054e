namespace SynergAI.Grains.Coordination;

/// <summary>What a pool's coordinator persists: enough to rebuild its queue, workers and running attempts.</summary>
[GenerateSerializer, Alias("synergai.CoordinatorRecord")]
public sealed class CoordinatorRecord
{
    [Id(0)] public PoolSettings? Settings { get; set; }
    /// <summary>Model time 0 of the pool: model seconds are (UTC now − Epoch) ÷ time scale.</summary>
    [Id(1)] public DateTimeOffset Epoch { get; set; }
    [Id(2)] public List<PoolWorkerRecord> Workers { get; set; } = [];
    [Id(3)] public List<QueueEntryRecord> Queue { get; set; } = [];
    [Id(4)] public List<RunningRecord> Running { get; set; } = [];
    [Id(5)] public List<string> Recent { get; set; } = [];
}

[GenerateSerializer, Immutable, Alias("synergai.PoolWorkerRecord")]
public sealed record PoolWorkerRecord([property: Id(0)] string Name, [property: Id(1)] string[] Engines, [property: Id(2)] double Strength,
    [property: Id(3)] string? ProfileKey = null);

[GenerateSerializer, Immutable, Alias("synergai.QueueEntryRecord")]
public sealed record QueueEntryRecord(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] DateTimeOffset SubmittedAt,
    [property: Id(3)] int Attempts,
    [property: Id(4)] int Failures,
    [property: Id(5)] string? BoundWorker)
{
    public static QueueEntryRecord From(PoolQueue.Entry e) => new(e.Id, e.Spec, e.SubmittedAt, e.Attempts, e.Failures, e.BoundWorker);

    public PoolQueue.Entry ToEntry() => new(Job, Spec, SubmittedAt, Attempts) { Failures = Failures, BoundWorker = BoundWorker };
}

[GenerateSerializer, Immutable, Alias("synergai.RunningRecord")]
public sealed record RunningRecord([property: Id(0)] QueueEntryRecord Entry, [property: Id(1)] string Worker, [property: Id(2)] int Attempt);
