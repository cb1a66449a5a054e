using System.Collections.Concurrent;

namespace SynergAI.Grains.Coordination;

/// <summary>Each silo's copy of its pools' settings, so that a submission finds its shard without a turn of the pool's
/// dispatcher. Settings change only while a pool is idle; a job routed by a copy older than that reaches a shard that
/// forwards it (see <see cref="ShardKey"/>).</summary>
public sealed class PoolSettingsCache(GrainReferences grains, TimeProvider time)
{
    static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    readonly ConcurrentDictionary<string, (PoolSettings Settings, DateTimeOffset At)> _pools = new(StringComparer.Ordinal);

    public async Task<PoolSettings> GetAsync(string pool)
    {
        if (!_pools.TryGetValue(pool, out var known)) return await FetchAsync(pool);
        // A stale copy still routes: the dispatcher is asked in the background, so a dispatcher that is slow to answer
        // (its silo just died) never holds up a submission.
        if (time.GetUtcNow() - known.At >= Freshness && _refreshing.TryAdd(pool, true)) _ = RefreshAsync(pool);
        return known.Settings;
    }

    async Task<PoolSettings> FetchAsync(string pool)
    {
        var settings = await grains.Of<IPoolDispatchGrain>(pool).GetSettings();
        _pools[pool] = (settings, time.GetUtcNow());
        return settings;
    }

    async Task RefreshAsync(string pool)
    {
        try { await FetchAsync(pool); }
        catch (Exception) { /* the copy stays; the next submission asks again */ }
        finally { _refreshing.TryRemove(pool, out _); }
    }

    readonly ConcurrentDictionary<string, bool> _refreshing = new(StringComparer.Ordinal);

    readonly ConcurrentDictionary<(string Pool, string Engine), bool> _accepted = new();

    /// <summary>Whether a shard of the pool has taken a job of this engine on this silo: the pool runs it (a job may then
    /// be acknowledged while its shard cannot be reached, see <c>JobGrain</c>).</summary>
    public bool HasAccepted(string pool, string engine) => _accepted.ContainsKey((pool, engine));

    public void Accepted(string pool, string engine) => _accepted.TryAdd((pool, engine), true);

    /// <summary>The shard of <paramref name="job"/> under the pool's current settings.</summary>
    public async Task<IPoolShardGrain> ShardOfAsync(string pool, string job)
    {
        var settings = await GetAsync(pool);
        return grains.Of<IPoolShardGrain>(ShardKey.Of(pool, ShardKey.Index(job, settings.Shards)));
    }
}
