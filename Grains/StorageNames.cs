namespace SynergAI.Grains;

public static class StorageNames
{
    /// <summary>The grain storage provider every SynergAI grain persists to (in memory by default; PostgreSQL later).</summary>
    public const string Grains = "synergai";
}
