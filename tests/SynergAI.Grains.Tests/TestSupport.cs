using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;
using Xunit.Sdk;

namespace SynergAI.Grains.Tests;

/// <summary>Helpers shared by the grain tests: grain shortcuts, pools made of reference workers, blocker jobs and polling
/// with a timeout (never fixed sleeps for things that must happen).</summary>
public static class TestSupport
{
    /// <summary>Re-evaluation period of the pools the focused tests create. Arrivals and completions trigger rounds
    /// anyway; a slow tick keeps dozens of idle pools in the shared cluster from loading the CPU.</summary>
    public const double TickMs = 250;

    /// <summary>An engine every reference worker runs; c* on x86 is threads=16 (16.5 qps, 1.40 s pre-processing).</summary>
    public const string Engine = "tf-resnet50";

    /// <summary>c* differs from the default configuration on x86 (threads=8 vs threads=16).</summary>
    public const string SplitEngine = "tflite-mobilenet-quant";

    public static readonly Testbed Reference = ReferenceTestbed.Load();
    public static readonly ConfigurationDictionary ReferenceDictionary = new(Reference);

    public static IJobGrain Job(this IGrainFactory grains, string id) => grains.GetGrain<IJobGrain>(id);
    public static IWorkerNodeGrain Worker(this IGrainFactory grains, string name) => grains.GetGrain<IWorkerNodeGrain>(name);
    public static IQueueCoordinatorGrain Coordinator(this IGrainFactory grains, string pool) => grains.GetGrain<IQueueCoordinatorGrain>(pool);
    /// <summary>The control plane's own calls on a worker (estimates, starts, the executor's reports).</summary>
    public static IWorkerRuntimeGrain WorkerRuntime(this IGrainFactory grains, string name) => grains.GetGrain<IWorkerRuntimeGrain>(name);
    /// <summary>The shard of its pool's queue that holds (or would hold) <paramref name="job"/>.</summary>
    public static async Task<IPoolShardGrain> ShardOf(this IGrainFactory grains, string pool, string job) =>
        grains.GetGrain<IPoolShardGrain>(Coordination.ShardKey.Of(pool, Coordination.ShardKey.Index(job, (await grains.Dispatcher(pool).GetSettings()).Shards)));
    /// <summary>The control plane's own calls on a pool (recovery, worker changes).</summary>
    public static IPoolDispatchGrain Dispatcher(this IGrainFactory grains, string pool) => grains.GetGrain<IPoolDispatchGrain>(pool);

    public static WorkerSpec SpecOf(string referenceWorker, string name)
    {
        var w = Reference.Workers.Single(x => x.Name == referenceWorker);
        return new WorkerSpec(name, w.Arch, w.Cpus, w.MemoryGb, w.DefaultConfig);
    }

    public static ProfilePoint[] ProfileOf(string referenceWorker) =>
        [.. Reference.Profile.Where(p => p.Worker == referenceWorker).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds))];

    /// <summary>Registers reference workers (in this order, which is the pool's worker order) as <c>{prefix}-{name}</c>
    /// in <paramref name="pool"/> and configures the pool. Returns the worker grain names.</summary>
    public static async Task<string[]> RegisterPool(this IGrainFactory grains, string pool, string prefix, string[] referenceWorkers,
        string policy = "synergai", double timeScale = 0.01, double reevaluationMs = TickMs)
    {
        var names = new List<string>();
        foreach (var worker in referenceWorkers)
        {
            var name = $"{prefix}-{worker}";
            await grains.Worker(name).Register(SpecOf(worker, name), ProfileOf(worker), pool);
            names.Add(name);
        }
        await grains.Coordinator(pool).Configure(new PoolSettings(policy, timeScale, TimeSpan.FromMilliseconds(reevaluationMs)));
        return [.. names];
    }

    /// <summary>Slows the periodic tick of a pool that only exists for registration checks (its coordinator would
    /// otherwise tick every 10 ms, the fixture's default, for the rest of the run). Ignored if the pool is busy.</summary>
    public static async Task Quiet(this IGrainFactory grains, string pool)
    {
        try { await grains.Coordinator(pool).Configure(new PoolSettings("synergai", 0.01, TimeSpan.FromMinutes(10))); }
        catch (InvalidOperationException) { }
    }

    /// <summary>Model seconds of a job on a reference worker in its c* (T_pre + q/QPS).</summary>
    public static double OptimalSeconds(string engine, string referenceWorker, int queries) =>
        ReferenceDictionary.Optimal(engine, referenceWorker)!.EstimateSeconds(queries);

    /// <summary>Submits a job that runs for hours (at time scale 0.01: ~10 minutes) and waits until it runs: it keeps its
    /// worker busy until the test cancels it.</summary>
    public static async Task<JobStatus> StartBlocker(this IGrainFactory grains, string id, string pool)
    {
        await grains.Job(id).Submit(new JobSpec(Engine, 1_000_000, 1e9), pool);
        return await grains.WaitForJob(id, s => s.State == JobState.Running, "the blocker to run");
    }

    public static Task<JobStatus> WaitForJob(this IGrainFactory grains, string id, Func<JobStatus, bool> done, string what, double seconds = 15) =>
        Until(async () => (await grains.Job(id).GetStatus())!, s => s is not null && done(s), $"job '{id}': {what}", seconds);

    public static Task<JobStatus> WaitFinished(this IGrainFactory grains, string id, double seconds = 15) =>
        grains.WaitForJob(id, s => s.IsFinished, "to finish", seconds);

    public static Task<PoolStatus> WaitForPool(this IGrainFactory grains, string pool, Func<PoolStatus, bool> done, string what, double seconds = 15) =>
        Until(() => grains.Coordinator(pool).GetStatus(), done, $"pool '{pool}': {what}", seconds);

    /// <summary>Polls <paramref name="probe"/> every 10 ms until <paramref name="done"/> holds; fails with the last value
    /// after <paramref name="seconds"/>.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, double seconds = 15)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (true)
        {
            var last = await probe();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline) throw new XunitException($"timed out after {seconds} s waiting for {what}; last: {Describe(last)}");
            await Task.Delay(10);
        }
    }

    public static string Describe<T>(T value) => value switch
    {
        PoolStatus p => $"{p.Pool}: workers [{string.Join(", ", p.Workers)}], queue [{string.Join(", ", p.Queue)}], running {p.Running}",
        _ => value?.ToString() ?? "null",
    };

    /// <summary>Cancels jobs (blockers) at the end of a test; a job that is already gone or finished is fine.</summary>
    public static async Task CancelQuietly(this IGrainFactory grains, params string[] jobs)
    {
        foreach (var job in jobs)
        {
            try { await grains.Job(job).Cancel(); }
            catch (UnknownJobException) { }
        }
    }

    /// <summary>The parts of a worker's status that a rejected request must not change.</summary>
    public static (WorkerCondition, string?, int, string?, DateTimeOffset?, string?) Essentials(WorkerStatus s) =>
        (s.Condition, s.RunningJob, s.RunningAttempt, s.RunningConfig, s.LastFreeAt, s.Pool);
}
