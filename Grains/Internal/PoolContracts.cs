using SynergAI.Grains.Coordination;

namespace SynergAI.Grains;

/// <summary>What a shard needs of its pool for one round: the settings, model time and every worker's state, so its
/// replica plans exactly as the pool would.</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolView")]
public sealed record PoolView(
    [property: Id(0)] PoolSettings Settings,
    [property: Id(1)] DateTimeOffset Epoch,
    [property: Id(2)] PoolWorkerView[] Workers,
    [property: Id(3)] double Now);

/// <summary>One worker as the policy sees it (model seconds of the pool's epoch).</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolWorkerView")]
public sealed record PoolWorkerView(
    [property: Id(0)] string Name,
    [property: Id(1)] string[] Engines,
    [property: Id(2)] double Strength,
    [property: Id(3)] string ProfileKey,
    [property: Id(4)] string? RunningJob,
    [property: Id(5)] double ExpectedFreeAt,
    [property: Id(6)] double LastFreeAt);

/// <summary>A shard's answer to a round: the jobs its policy run would place (arrival order), how many it holds, and
/// how long estimating and deciding took.</summary>
[GenerateSerializer, Immutable, Alias("synergai.ShardProposal")]
public sealed record ShardProposal(
    [property: Id(0)] QueueEntryRecord[] Jobs,
    [property: Id(1)] int Queued,
    [property: Id(2)] double EstimateMilliseconds,
    [property: Id(3)] double PolicyMilliseconds);

/// <summary>A shard's queue for the pool's status, with each job's submission time so shards' queues merge in order.</summary>
[GenerateSerializer, Immutable, Alias("synergai.ShardQueue")]
public sealed record ShardQueue(
    [property: Id(0)] QueuedJobView[] Jobs,
    [property: Id(1)] DateTimeOffset[] SubmittedAt,
    [property: Id(2)] string[] Recent);
