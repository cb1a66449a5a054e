using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>The pool's dispatcher (the same activation as <see cref="IQueueCoordinatorGrain"/>, key: the pool name):
/// it holds the pool's workers and matches free workers with the jobs the shards propose. The calls of the silo's
/// own grains; not part of the client contract.</summary>
[Alias("synergai.IPoolDispatchGrain")]
public interface IPoolDispatchGrain : IGrainWithStringKey
{
    /// <summary>The pool's settings with the shard count resolved. Cached per silo by <see cref="PoolSettingsCache"/>.</summary>
    [Alias("GetSettings"), AlwaysInterleave] Task<PoolSettings> GetSettings();

    /// <summary>The workers as the dispatcher sees them now, for a shard that needs them between rounds.</summary>
    [Alias("GetView"), AlwaysInterleave] Task<PoolView> GetView();

    /// <summary>Admission control of a submission under <paramref name="mode"/> (<c>reject</c> or <c>best-effort</c>),
    /// by the pool's forecast: whether it is admitted flagged best-effort, or <see cref="AdmissionRefusedException"/>
    /// with the reason and the tightest deadline on offer. That deadline is sought only for a refusal.</summary>
    [Alias("Admit")] Task<bool> Admit(string job, JobSpec spec, string mode);

    /// <summary>A shard holds jobs that may be placeable: a round should run soon. Repeats coalesce.</summary>
    [Alias("ShardHasWork"), OneWay] Task ShardHasWork();

    /// <summary>A job left the worker (completed, failed, cancelled or lost): the worker is free again.</summary>
    [Alias("WorkerFreed")] Task WorkerFreed(string worker, string job, int attempt);

    /// <summary>A worker (re)registered with the engines it can run, its strength (mean default-configuration QPS, for
    /// Best Effort) and the key of its profile (workers with equal keys share estimates).</summary>
    [Alias("WorkerRegistered")] Task WorkerRegistered(string worker, string[] engines, double strength, string profileKey);

    /// <summary>A worker moved to another pool: it takes no more jobs here.</summary>
    [Alias("WorkerLeft")] Task WorkerLeft(string worker);

    /// <summary>After a silo died or the cluster restarted: checks each running attempt with its worker (a lost one
    /// goes back to its job, which queues itself again), and has every shard sweep for jobs no shard holds. Answers how
    /// many attempts were lost.</summary>
    [Alias("Recover")] Task<int> Recover();
}
