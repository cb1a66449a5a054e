namespace SynergAI.Grains;

/// <summary>FNV-1a of a string: the same in every process and silo, unlike <see cref="string.GetHashCode()"/>, so that
/// every silo routes a job to the same shard and a run draws the same noise wherever it runs.</summary>
public static class StableHash
{
    public static uint Of(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return hash;
    }
}
