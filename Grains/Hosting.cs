using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Execution;
using SynergAI.Grains.Execution.Kubernetes;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Grains;

public static class Hosting
{
    /// <summary>The grain directory of the pool's long-lived grains (dispatcher, shards, workers, the pool directory).</summary>
    public const string PoolGrainDirectory = "synergai-pool";

    /// <summary>Adds the SynergAI control plane to a silo: settings from the <c>SynergAI</c> section (validated at start),
    /// the executor chosen by <c>SynergAI:Executor</c> (simulated or kubernetes) unless another <see cref="IJobExecutor"/>
    /// is registered already, and a start-up task that registers
    /// the testbed's workers. Grain storage named <see cref="StorageNames.Grains"/> must be added by the host.</summary>
    public static ISiloBuilder AddSynergAiControlPlane(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<SynergAiOptions>().Bind(configuration.GetSection(SynergAiOptions.Section)).ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SynergAiOptions>, SynergAiOptionsValidator>());
        silo.Services.TryAddSingleton(TimeProvider.System);
        // An unknown executor name falls through to the simulated one here; the options validator stops start-up with it.
        if (string.Equals(configuration.GetSection(SynergAiOptions.Section)[nameof(SynergAiOptions.Executor)]?.Trim(),
                SynergAiOptions.KubernetesExecutor, StringComparison.OrdinalIgnoreCase))
            silo.AddKubernetesExecutor(configuration);
        silo.Services.TryAddSingleton<IJobExecutor, SimulatedExecutor>();
        silo.Services.TryAddSingleton<IJobHistory, InMemoryJobHistory>();
        silo.Services.TryAddSingleton<GrainReferences>();
        silo.Services.TryAddSingleton<PoolSettingsCache>();
        silo.Services.TryAddSingleton<ControlPlaneReadiness>();
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10: the strongly consistent directory Orleans is moving to
        // For the pool's long-lived grains (PoolGrainDirectory): a silo's death deactivates none of them on the surviving
        // silos, and none is ever active twice. With the default directory, a death deactivates every grain whose entry
        // the dead silo held; the pool's grains waiting on each other across such deactivations stalled for the 30 s
        // call timeout (kill -9 tests, README "Reliability"). Job grains keep the default directory: one is activated
        // per submission, and registering it costs more in the new one. Every silo of a cluster must use the same
        // directories: moving a running cluster onto these takes a full restart.
        silo.AddDistributedGrainDirectory(PoolGrainDirectory);
#pragma warning restore ORLEANSEXP003
        silo.Services.AddPlacementDirector<ShardPlacement, ShardPlacementDirector>();
        silo.AddStartupTask<TestbedRegistration>();
        silo.Services.AddHostedService<ClusterRecovery>();
        return silo;
    }
}

/// <summary>Whether the silo has registered its testbed and is ready for clients (the readiness probe).</summary>
public sealed class ControlPlaneReadiness
{
    public bool Ready { get; set; }
}

/// <summary>At start-up, registers the configured testbed's workers (or the reference testbed's) with their profiles in
/// the configured pool. Registration is idempotent, so every silo of a cluster may do it.</summary>
public sealed class TestbedRegistration(IGrainFactory grains, IOptions<SynergAiOptions> options, ControlPlaneReadiness readiness,
    ILogger<TestbedRegistration> log) : IStartupTask
{
    public async Task Execute(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var testbed = ReferenceTestbed.LoadOr(string.IsNullOrWhiteSpace(o.Testbed) ? null : o.Testbed);
        // One after another in file order: that is the pool's worker order, which round robin and tie-breaks follow,
        // as in the simulator. Retried: silos that start together may each activate the same worker while the cluster's
        // directory converges, and all but one write then fail their storage's version check.
        foreach (var worker in testbed.Workers)
            await GrainCalls.UntilDeliveredAsync(() => grains.GetGrain<IWorkerNodeGrain>(worker.Name).Register(
                new WorkerSpec(worker.Name, worker.Arch, worker.Cpus, worker.MemoryGb, worker.DefaultConfig),
                [.. ProfileOf(testbed, worker)], o.Pool), cancellationToken);
        // After a restart of the whole cluster, attempts that were running are lost (their executors went with the
        // silos): each pool checks its running attempts with their workers.
        await ClusterRecovery.RecoverAllPoolsAsync(grains, log, cancellationToken);
        readiness.Ready = true;
        log.LogInformation("registered {Workers} workers and {Engines} engines of testbed '{Testbed}' in pool '{Pool}'",
            testbed.Workers.Count, testbed.Engines.Count(), string.IsNullOrWhiteSpace(o.Testbed) ? ReferenceTestbed.Name : o.Testbed, o.Pool);
    }

    static IEnumerable<ProfilePoint> ProfileOf(Testbed testbed, Worker worker) =>
        testbed.Profile.Where(p => p.Worker == worker.Name).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds));
}
