using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SynergAI.Grains;
using SynergAI.Grains.Execution.Kubernetes;
using SynergAI.Kubernetes.Tests.Fake;
using Xunit.Sdk;

namespace SynergAI.Kubernetes.Tests;

/// <summary>A Kubernetes executor talking to a fresh fake API server, reporting to a <see cref="RecordingWorker"/>.</summary>
public sealed class ExecutorHarness : IAsyncDisposable
{
    public const string Engine = "onnx-mobilenet-opset11";

    public required FakeKubernetes Fake { get; init; }
    public required RecordingWorker Worker { get; init; }
    public required KubernetesExecutorOptions Options { get; init; }
    public required SynergAiOptions Control { get; init; }
    readonly List<KubernetesExecutor> _executors = [];

    public static async Task<ExecutorHarness> StartAsync(Action<KubernetesExecutorOptions>? configure = null)
    {
        var fake = await FakeKubernetes.StartAsync();
        var options = new KubernetesExecutorOptions
        {
            Namespace = "jobs",
            ApiServer = fake.Url,
            Engines = [new EngineImage { Engine = Engine, Image = "example/onnx:1" }],
            PowerModeImage = "example/nvpmodel:1",
            ApiRetryDelay = TimeSpan.FromMilliseconds(10),
            WatchRetryDelay = TimeSpan.FromMilliseconds(20),
            WatchRetryMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        Assert.True(new KubernetesExecutorOptionsValidator().Validate(null, options).Succeeded);
        return new ExecutorHarness
        {
            Fake = fake, Worker = new RecordingWorker(), Options = options,
            Control = new SynergAiOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50), HeartbeatTimeout = TimeSpan.FromSeconds(5) },
        };
    }

    /// <summary>A new executor (as a silo would have one); several may run against one fake.</summary>
    public KubernetesExecutor NewExecutor()
    {
        var api = new KubernetesApi(Microsoft.Extensions.Options.Options.Create(Options), TimeProvider.System, NullLogger<KubernetesApi>.Instance);
        var executor = new KubernetesExecutor(_ => Worker, api, Microsoft.Extensions.Options.Options.Create(Options),
            Microsoft.Extensions.Options.Options.Create(Control), TimeProvider.System, NullLogger<KubernetesExecutor>.Instance);
        _executors.Add(executor);
        return executor;
    }

    public static Dispatch Dispatch(string job, int attempt = 1, string worker = "x86", string config = "threads=4", string engine = Engine) =>
        new(job, attempt, "default", worker, engine, 100, config, 10, 0.01, DateTimeOffset.UtcNow, "test");

    public async ValueTask DisposeAsync()
    {
        foreach (var executor in _executors) await executor.DisposeAsync();
        await Fake.DisposeAsync();
    }

    /// <summary>Polls every 10 ms until <paramref name="done"/> holds, else fails naming <paramref name="what"/>.</summary>
    public static async Task Eventually(Func<bool> done, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new XunitException($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(10);
        }
    }
}

/// <summary>Stands in for the worker's grain: records the executor's heartbeats and reports.</summary>
public sealed class RecordingWorker : SynergAI.Grains.Execution.IRunReports
{
    readonly ConcurrentQueue<ExecutionReport> _reports = new();
    readonly ConcurrentDictionary<(string, int), int> _heartbeats = new();

    public IReadOnlyList<ExecutionReport> Reports => [.. _reports];
    public IReadOnlyList<ExecutionReport> ReportsOf(string job) => [.. _reports.Where(r => r.Job == job)];
    public int HeartbeatsOf(string job, int attempt = 1) => _heartbeats.GetValueOrDefault((job, attempt));

    readonly ConcurrentDictionary<(string, int), bool> _letGo = new();

    /// <summary>From now on this worker answers that it no longer holds the attempt (it declared it lost).</summary>
    public void LetGo(string job, int attempt = 1) => _letGo[(job, attempt)] = true;

    public Task<bool> Heartbeat(string job, int attempt)
    {
        _heartbeats.AddOrUpdate((job, attempt), 1, (_, n) => n + 1);
        return Task.FromResult(!_letGo.ContainsKey((job, attempt)));
    }

    public Task Report(ExecutionReport report)
    {
        _reports.Enqueue(report);
        return Task.CompletedTask;
    }

}
