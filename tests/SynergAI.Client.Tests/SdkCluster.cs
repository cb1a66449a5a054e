using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Client.Tests;

/// <summary>One in-process silo with the control plane (time scale 0.01) and the SDK registered inside it
/// (<c>AddSynergAiClientInSilo</c>), shared by the tests of the collection; each test uses its own pool.</summary>
public sealed class SdkCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The SDK over the test cluster's client, with short retries so that a failing test fails fast.</summary>
    public SynergAiClient Client { get; private set; } = null!;

    /// <summary>The SDK as code inside the silo gets it from dependency injection.</summary>
    public ISynergAiClient InSilo => Cluster.Silos[0].ServiceProvider.GetRequiredService<ISynergAiClient>();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SynergAI:TimeScale"] = "0.01",
            ["SynergAI:ReevaluationInterval"] = "00:00:00.050",
            ["SynergAI:HeartbeatInterval"] = "00:00:00.100",
            ["SynergAI:HeartbeatTimeout"] = "00:00:05",
        }).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddSynergAiControlPlane(configuration);
            silo.Services.AddSynergAiClientInSilo();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Client = new SynergAiClient(Cluster.Client, new SynergAiClientOptions { RetryFor = TimeSpan.FromSeconds(20) });
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Registers the reference testbed's three workers as <c>{pool}-x86</c> etc. in <paramref name="pool"/>.</summary>
    public async Task ReferencePool(string pool, params string[] only)
    {
        var testbed = ReferenceTestbed.Load();
        foreach (var w in testbed.Workers.Where(w => only.Length == 0 || only.Contains(w.Name)))
        {
            var name = $"{pool}-{w.Name}";
            await Client.RegisterWorkerAsync(new WorkerSpec(name, w.Arch, w.Cpus, w.MemoryGb, w.DefaultConfig),
                testbed.Profile.Where(p => p.Worker == w.Name).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds)), pool);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkCluster>
{
    public const string Name = "sdk cluster";
}
