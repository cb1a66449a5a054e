using System.Collections.Concurrent;

namespace SynergAI.Grains.Coordination;

/// <summary>Each silo's copy of its pools' settings, so that a submission finds its shard without a turn of the pool's
/// dispatcher. Settings change only while a pool is idle; a job routed by a copy older than that reaches a shard that
/// forwards it (see <see cref="ShardKey"/>).</summary>
public sealed class PoolSettingsCache(IGrainFactory grains, TimeProvider time)
{
    static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    readonly ConcurrentDictionary<string, (PoolSettings Settings, DateTimeOffset At)> _pools = new(StringComparer.Ordinal);

    public async Task<PoolSettings> GetAsync(string pool)
    {
        var now = time.GetUtcNow();
        if (_pools.TryGetValue(pool, out var known) && now - known.At < Freshness) return known.Settings;
        var settings = await grains.GetGrain<IPoolDispatchGrain>(pool).GetSettings();
        _pools[pool] = (settings, now);
        return settings;
    }

    /// <summary>The shard of <paramref name="job"/> under the pool's current settings.</summary>
    public async Task<IPoolShardGrain> ShardOfAsync(string pool, string job)
    {
        var settings = await GetAsync(pool);
        return grains.GetGrain<IPoolShardGrain>(ShardKey.Of(pool, ShardKey.Index(job, settings.Shards)));
    }
}
