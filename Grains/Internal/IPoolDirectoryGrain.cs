using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>The pools the cluster has (one grain, key <see cref="Key"/>), so that recovery after a silo failure can
/// visit every pool.</summary>
[Alias("synergai.IPoolDirectoryGrain")]
public interface IPoolDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "pools";

    [Alias("Add")] Task Add(string pool);

    [Alias("List"), AlwaysInterleave] Task<IReadOnlyList<string>> List();
}
