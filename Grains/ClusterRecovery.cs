using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SynergAI.Grains;

/// <summary>
/// Every silo watches the cluster's membership; when a silo is declared dead, it asks every pool's coordinator to
/// <see cref="IPoolDispatchGrain.Recover"/>: that reactivates the grains the dead silo held (coordinator, workers)
/// on the survivors and sends the attempts lost with it back to the queue. Nothing else would touch an idle pool
/// whose running jobs all died. Each surviving silo asks (retrying while calls may still be routed to the dead silo's
/// activations); the coordinator's checks make repeats harmless.
/// </summary>
public sealed class ClusterRecovery(IClusterMembershipService membership, IGrainFactory grains, ControlPlaneReadiness readiness,
    ILogger<ClusterRecovery> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ClusterMembershipSnapshot? previous = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var died = previous is null ? [] : snapshot.CreateUpdate(previous).Changes.Where(m => m.Status == SiloStatus.Dead).ToList();
                previous = snapshot;
                if (died.Count == 0 || !readiness.Ready) continue;
                log.LogWarning("silo(s) {Silos} declared dead; recovering every pool", string.Join(", ", died.Select(m => m.SiloAddress)));
                await RecoverAllPoolsAsync(grains, log, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>Asks each pool to recover; also run once at start-up, after a restart of the whole cluster.</summary>
    public static async Task RecoverAllPoolsAsync(IGrainFactory grains, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            var pools = await GrainCalls.UntilDeliveredAsync(async () => await grains.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).List(), cancellationToken);
            await Task.WhenAll(pools.Select(async pool =>
            {
                var requeued = await GrainCalls.UntilDeliveredAsync(async () => await grains.GetGrain<IPoolDispatchGrain>(pool).Recover(), cancellationToken);
                log.LogInformation("pool {Pool} recovered: {Requeued} lost attempt(s) queued again", pool, requeued);
            }));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogError(e, "recovering the pools failed; lost attempts still go back to the queue on their heartbeat timeout");
        }
    }
}
