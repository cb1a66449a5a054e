using Microsoft.Extensions.Options;
using SynergAI.Client;
using SynergAI.Grains;

namespace SynergAI.Silo.Operating;

/// <summary>What the web view and its JSON API show, read through the same SDK calls the CLI makes
/// (<see cref="SynergAiClient"/> over this silo's grain factory). Nothing here decides anything.</summary>
public sealed class ControlPlaneView(IGrainFactory grains, IOptions<SynergAiOptions> options)
{
    public SynergAiClient Client { get; } = new(grains);
    public string DefaultPool => options.Value.Pool;

    public async Task<IReadOnlyList<string>> PoolsAsync()
    {
        var pools = await grains.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).List();
        return pools.Contains(DefaultPool) ? pools : [DefaultPool, .. pools];
    }

    /// <summary>One page of a pool's jobs in a state (null: any), in the pool's order, and how many match in all.</summary>
    public async Task<(IReadOnlyList<JobStatus> Jobs, int Total)> JobsAsync(string pool, JobState? state, int page, int pageSize)
    {
        var all = await Client.ListJobsAsync(pool);
        var matching = state is null ? all : [.. all.Where(j => j.State == state)];
        return ([.. matching.Skip(Math.Max(0, page - 1) * pageSize).Take(pageSize)], matching.Count);
    }
}
