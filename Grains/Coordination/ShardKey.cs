namespace SynergAI.Grains.Coordination;

/// <summary>Which shard of its pool's queue a job belongs to, and the shard grains' keys (<c>{index}@{pool}</c>: the
/// index first, so any pool name parses). A job's shard is its id's <see cref="StableHash"/> modulo the shard count.</summary>
public static class ShardKey
{
    public static int Index(string job, int shards) => shards <= 1 ? 0 : (int)(StableHash.Of(job) % (uint)shards);

    public static string Of(string pool, int index) => $"{index}@{pool}";

    public static (string Pool, int Index) Parse(string key)
    {
        var at = key.IndexOf('@');
        if (at <= 0 || !int.TryParse(key.AsSpan(0, at), out var index) || index < 0)
            throw new ArgumentException($"'{key}' is not a shard key ({{index}}@{{pool}})");
        return (key[(at + 1)..], index);
    }
}
