using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>One shard of a pool's queue (key: <see cref="ShardKey"/>): the waiting jobs whose ids hash to it, their
/// estimates and urgency. It holds nothing durable; its queue is rebuilt from the jobs' own records.</summary>
[Alias("synergai.IPoolShardGrain")]
public interface IPoolShardGrain : IGrainWithStringKey
{
    /// <summary>Queues a job (again: idempotent) and answers the pool's settings; <see cref="UnknownEngineException"/> if no
    /// worker of the pool can run its engine (<see cref="PoolNotReadyException"/> if it has none). <paramref name="attempts"/> is the last attempt number handed out;
    /// <paramref name="bestEffort"/>: admitted flagged best-effort (planned after every unflagged job).</summary>
    [Alias("Enqueue")] Task<PoolSettings> Enqueue(string job, JobSpec spec, DateTimeOffset submittedAt, int attempts, bool bestEffort);

    /// <summary>Removes a queued job; false if it is not queued here (being dispatched, dispatched, or unknown).</summary>
    [Alias("Remove")] Task<bool> Remove(string job);

    /// <summary>Replaces the shard's replica of the pool's workers and runs the pool's policy on the shard's queue:
    /// the jobs it would place are offered (held apart until <see cref="Settle"/>).</summary>
    [Alias("Propose")] Task<ShardProposal> Propose(PoolView view, bool reestimate);

    /// <summary>Ends the latest proposal: <paramref name="returned"/> jobs were not started and go back to the queue
    /// as they were; the other offered jobs have left the queue.</summary>
    [Alias("Settle")] Task Settle(string[] returned);

    /// <summary>The pool's workers or settings changed between rounds.</summary>
    [Alias("Refresh")] Task Refresh(PoolView view);

    [Alias("GetQueue"), AlwaysInterleave] Task<ShardQueue> GetQueue();

    /// <summary>Anti-entropy now: adopts the pool's waiting jobs that hash here but no shard holds, and gives back to
    /// their jobs the attempts recorded on a worker that does not run them. Answers how many jobs it acted on.</summary>
    [Alias("Sweep")] Task<int> Sweep();
}
