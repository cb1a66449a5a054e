using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Grains.Tests;

/// <summary>One two-silo in-process cluster with the control plane, shared by every test of the collection. Tests keep
/// out of each other's way by using their own pools and worker names.</summary>
public sealed class ControlPlaneCluster : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["SynergAI:TimeScale"] = "0.01",
        ["SynergAI:ReevaluationInterval"] = "00:00:00.010",
        ["SynergAI:HeartbeatInterval"] = "00:00:00.100",
        ["SynergAI:HeartbeatTimeout"] = "00:00:05", // generous: a loaded 2-core machine can pause a second
        // Only the worker of WorkerLearningClusterTests' drift test: its runs take 1.5× its profile.
        ["SynergAI:Drift"] = FormattableString.Invariant($"{DriftedWorker}={DriftFactor}"),
    };

    public const string DriftedPool = "lrn-drift";
    public const string DriftedWorker = DriftedPool + "-x86";
    public const double DriftFactor = 1.5;

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddSynergAiControlPlane(configuration);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Registers the reference testbed's workers, one after another (their order is the pool's worker order),
    /// as <c>{prefix}-x86</c> etc. in <paramref name="pool"/>, and configures the pool.</summary>
    public async Task<string[]> ReferencePool(string pool, string prefix, string policy = "synergai", double timeScale = 0.01,
        double reevaluationMs = 10, int shards = 0)
    {
        var testbed = ReferenceTestbed.Load();
        var names = new List<string>();
        foreach (var worker in testbed.Workers)
        {
            var name = $"{prefix}-{worker.Name}";
            await Client.GetGrain<IWorkerNodeGrain>(name).Register(
                new WorkerSpec(name, worker.Arch, worker.Cpus, worker.MemoryGb, worker.DefaultConfig),
                [.. testbed.Profile.Where(p => p.Worker == worker.Name).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds))],
                pool);
            names.Add(name);
        }
        await Client.GetGrain<IQueueCoordinatorGrain>(pool).Configure(new PoolSettings(policy, timeScale, TimeSpan.FromMilliseconds(reevaluationMs), shards));
        return [.. names];
    }

    /// <summary>A pool of some of the reference testbed's workers (e.g. only <c>x86</c>), named <c>{prefix}-{name}</c>, with a
    /// slow periodic tick (see <see cref="TestSupport.TickMs"/>).</summary>
    public Task<string[]> Pool(string pool, string prefix, string[] referenceWorkers, string policy = "synergai", double timeScale = 0.01) =>
        Client.RegisterPool(pool, prefix, referenceWorkers, policy, timeScale);

    /// <summary>Polls until every job is finished or the time is up.</summary>
    public async Task<JobStatus[]> WaitForAll(IEnumerable<string> jobs, TimeSpan timeout)
    {
        var ids = jobs.ToArray();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var statuses = await Task.WhenAll(ids.Select(id => Client.GetGrain<IJobGrain>(id).GetStatus()));
            if (statuses.All(s => s is { IsFinished: true }) || DateTime.UtcNow > deadline) return [.. statuses.Select(s => s!)];
            await Task.Delay(50);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ControlPlaneCollection : ICollectionFixture<ControlPlaneCluster>
{
    public const string Name = "control plane";
}
