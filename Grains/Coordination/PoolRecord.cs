namespace SynergAI.Grains.Coordination;

/// <summary>What a pool's dispatcher persists: its settings and its members. Nothing per job: the jobs' own records are
/// the truth about the queue, and the workers' own records about what runs.</summary>
[GenerateSerializer, Alias("synergai.PoolRecord")]
public sealed class PoolRecord
{
    [Id(0)] public PoolSettings? Settings { get; set; }
    /// <summary>Model time 0 of the pool: model seconds are (UTC now − Epoch) ÷ time scale.</summary>
    [Id(1)] public DateTimeOffset Epoch { get; set; }
    [Id(2)] public List<PoolMember> Workers { get; set; } = [];
}

/// <summary>A worker of the pool as the policy needs it; <see cref="ProfileKey"/> groups workers whose estimates are equal.</summary>
[GenerateSerializer, Immutable, Alias("synergai.PoolMember")]
public sealed record PoolMember(
    [property: Id(0)] string Name,
    [property: Id(1)] string[] Engines,
    [property: Id(2)] double Strength,
    [property: Id(3)] string ProfileKey);
