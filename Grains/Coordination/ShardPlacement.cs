using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace SynergAI.Grains.Coordination;

/// <summary>A pool's shards dealt round the silos: shard i on the (h + i)-th compatible silo in address order, h a hash
/// of the pool's name (so that pools do not all start on the same silo). Orleans' activation-count placement put every
/// shard of a new pool on whichever silo had the fewest activations at that moment, so that one silo took all of the
/// pool's arrivals, and its death held up all of them (README "Performance", stop 23). A shard that comes back after a
/// silo's death is dealt over the silos left.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ShardPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardPlacementAttribute() : PlacementAttribute(new ShardPlacement());

public sealed class ShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target).Order().ToArray();
        var (pool, index) = ShardKey.Parse(target.GrainIdentity.Key.ToString()!);
        return Task.FromResult(silos[(StableHash.Of(pool) + (uint)index) % (uint)silos.Length]);
    }
}
