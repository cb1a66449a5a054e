namespace SynergAI.Grains.Coordination;

/// <summary>A waiting job as a shard offers it to the pool's dispatcher: enough to estimate and place it there.</summary>
[GenerateSerializer, Immutable, Alias("synergai.QueueEntryRecord")]
public sealed record QueueEntryRecord(
    [property: Id(0)] string Job,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] DateTimeOffset SubmittedAt,
    [property: Id(3)] int Attempts,
    [property: Id(5)] string? BoundWorker,
    [property: Id(6)] bool BestEffort)
{
    public static QueueEntryRecord From(PoolQueue.Entry e) => new(e.Id, e.Spec, e.SubmittedAt, e.Attempts, e.BoundWorker, e.BestEffort);

    public PoolQueue.Entry ToEntry() => new(Job, Spec, SubmittedAt, Attempts) { BoundWorker = BoundWorker, BestEffort = BestEffort };
}
