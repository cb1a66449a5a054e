namespace SynergAI.Grains;

[GenerateSerializer, Alias("synergai.PoolDirectoryRecord")]
public sealed class PoolDirectoryRecord
{
    [Id(0)] public List<string> Pools { get; set; } = [];
}

/// <summary>Every pool that has had a coordinator. Written once per new pool, read on recovery.</summary>
[Orleans.GrainDirectory.GrainDirectory(Hosting.PoolGrainDirectory)]
public sealed class PoolDirectoryGrain(
    [PersistentState("pool-directory", StorageNames.Grains)] IPersistentState<PoolDirectoryRecord> record) : Grain, IPoolDirectoryGrain
{
    public async Task Add(string pool)
    {
        if (record.State.Pools.Contains(pool)) return;
        record.State.Pools.Add(pool);
        await record.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. record.State.Pools]);
}
