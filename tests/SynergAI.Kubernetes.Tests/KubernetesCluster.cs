using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using SynergAI.Grains;
using SynergAI.Grains.Execution;
using SynergAI.Grains.Execution.Kubernetes;
using SynergAI.Kubernetes.Tests.Fake;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;
using Microsoft.Extensions.DependencyInjection;

namespace SynergAI.Kubernetes.Tests;

/// <summary>A two-silo Orleans test cluster whose silos run attempts with the Kubernetes executor, chosen by
/// <c>SynergAI:Executor=kubernetes</c> as in production, against one fake API server.</summary>
public sealed class KubernetesCluster : IAsyncLifetime
{
    /// <summary>Worker → node mappings of the trace pool; its nx worker is left out on purpose (node = worker name).</summary>
    public static readonly IReadOnlyDictionary<string, string> Nodes = new Dictionary<string, string>
    {
        ["trace-x86"] = "cloud-vm-16",
        ["trace-agx"] = "jetson-agx-xavier-1",
    };

    /// <summary>An engine in some worker's profile but not in SynergAI:Kubernetes:Engines.</summary>
    public const string UnmappedEngine = "custom-unmapped-engine";

    public FakeKubernetes Fake { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        Fake = await FakeKubernetes.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["SynergAI:Executor"] = "kubernetes",
            ["SynergAI:TimeScale"] = "0.01",
            ["SynergAI:ReevaluationInterval"] = "00:00:00.020",
            ["SynergAI:HeartbeatInterval"] = "00:00:00.100",
            ["SynergAI:HeartbeatTimeout"] = "00:00:05",
            ["SynergAI:MaxAttempts"] = "3",
            ["SynergAI:Kubernetes:ApiServer"] = Fake.Url,
            ["SynergAI:Kubernetes:PowerModeImage"] = "example/nvpmodel:1",
            ["SynergAI:Kubernetes:ApiRetryDelay"] = "00:00:00.020",
            ["SynergAI:Kubernetes:WatchRetryDelay"] = "00:00:00.020",
            ["SynergAI:Kubernetes:WatchRetryMaxDelay"] = "00:00:00.500",
        };
        foreach (var (worker, node) in Nodes) settings[$"SynergAI:Kubernetes:Nodes:{worker}"] = node;
        var engines = ReferenceTestbed.Load().Engines.ToArray();
        for (var i = 0; i < engines.Length; i++)
        {
            settings[$"SynergAI:Kubernetes:Engines:{i}:Engine"] = engines[i];
            settings[$"SynergAI:Kubernetes:Engines:{i}:Image"] = $"example/{engines[i]}:1";
            settings[$"SynergAI:Kubernetes:Engines:{i}:Args:0"] = "--queries={queries}";
            settings[$"SynergAI:Kubernetes:Engines:{i}:Args:1"] = "--threads={threads}";
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddSynergAiControlPlane(configuration);
            if (Environment.GetEnvironmentVariable("DEBUG_SILO_LOG") == "1")
                silo.Services.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information).AddFilter("Orleans", Microsoft.Extensions.Logging.LogLevel.Warning));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        foreach (var silo in Cluster.Silos) // chosen by the setting, not substituted
            Assert.IsType<KubernetesExecutor>(silo.ServiceProvider.GetRequiredService<IJobExecutor>());
        await WarmUpAsync();
    }

    /// <summary>One short job per worker in a pool of its own, so that the first trace job does not pay for code
    /// compiled on first use (the grains' and the client library's, e.g. serialising a pod): a cold first dispatch took
    /// about a second, which shifts the whole trace. A silo in service is warm.</summary>
    async Task WarmUpAsync()
    {
        const string pool = "warm-up";
        await ReferencePool(pool, 0.01);
        string[] jobs = [$"{pool}-1", $"{pool}-2", $"{pool}-3"];
        foreach (var job in jobs) await Client.GetGrain<IJobGrain>(job).Submit(new JobSpec("tf-mobilenet", 10, 1e6), pool);
        var statuses = await WaitForAll(jobs, TimeSpan.FromSeconds(30));
        Assert.All(statuses, s => Assert.Equal(JobState.Completed, s.State));
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Fake.DisposeAsync();
    }

    public static string NodeOf(string worker) => Nodes.TryGetValue(worker, out var node) ? node : worker;

    /// <summary>Registers the reference testbed's workers as <c>{pool}-{name}</c> (plus extra profile rows) and
    /// configures the pool.</summary>
    public async Task ReferencePool(string pool, double timeScale, params ProfilePoint[] extraX86Rows)
    {
        var testbed = ReferenceTestbed.Load();
        foreach (var worker in testbed.Workers)
        {
            var name = $"{pool}-{worker.Name}";
            ProfilePoint[] profile = [.. testbed.Profile.Where(p => p.Worker == worker.Name).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds))];
            if (worker.Name == "x86") profile = [.. profile, .. extraX86Rows];
            await Client.GetGrain<IWorkerNodeGrain>(name).Register(new WorkerSpec(name, worker.Arch, worker.Cpus, worker.MemoryGb, worker.DefaultConfig), profile, pool);
        }
        await Client.GetGrain<IQueueCoordinatorGrain>(pool).Configure(new PoolSettings("synergai", timeScale, TimeSpan.FromMilliseconds(20)));
    }

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

    /// <summary>No two pods of one job ran at overlapping times (from the fake's records of when each was Running).</summary>
    public void AssertNeverTwiceAtOnce(string job)
    {
        var runs = Fake.PodsOf(job).Where(p => p.RunningFrom is not null).OrderBy(p => p.RunningFrom).ToList();
        foreach (var pod in runs) Assert.True(pod.RunningUntil is not null, $"{pod} never stopped running");
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i - 1].RunningUntil <= runs[i].RunningFrom,
                $"{runs[i - 1]} still ran when {runs[i]} started ({Stopwatch.GetElapsedTime(runs[i].RunningFrom!.Value, runs[i - 1].RunningUntil!.Value).TotalMilliseconds:0} ms overlap)");
    }

    /// <summary>Each attempt of the job has exactly one pod, created with one request, pinned to its worker's node and
    /// in its configuration (thread variables and CPUs, or power mode).</summary>
    public void AssertPodsMatchAttempts(JobStatus status)
    {
        var pods = Fake.PodsOf(status.Id);
        Assert.Equal(Enumerable.Range(1, status.Attempts), pods.Select(p => p.Attempt).Order());
        foreach (var pod in pods)
        {
            Assert.Equal(1, Fake.CreateRequestsFor(pod.Name));
            var worker = pod.Annotation(JobPod.WorkerKey)!;
            Assert.Equal(NodeOf(worker), pod.Node);
            var config = ConfigurationSettings.Parse(pod.Annotation(JobPod.ConfigurationKey)!);
            if (config.Threads is { } threads)
            {
                Assert.Equal(threads.ToString(), pod.EnvOf("OMP_NUM_THREADS"));
                Assert.Equal(threads.ToString(), pod.CpuRequest);
                Assert.Equal(threads.ToString(), pod.CpuLimit);
                Assert.Null(pod.PowerMode);
            }
            else
            {
                Assert.NotNull(config.Mode);
                Assert.Equal(config.Mode, pod.PowerMode);
                Assert.Null(pod.EnvOf("OMP_NUM_THREADS"));
            }
        }
        var last = pods.Single(p => p.Attempt == status.Attempts);
        if (status.Worker is not null) Assert.Equal(status.Worker, last.Annotation(JobPod.WorkerKey));
        if (status.Config is not null) Assert.Equal(status.Config, last.Annotation(JobPod.ConfigurationKey));
    }
}

[CollectionDefinition(Name)]
public sealed class KubernetesClusterCollection : ICollectionFixture<KubernetesCluster>
{
    public const string Name = "kubernetes cluster";
}
