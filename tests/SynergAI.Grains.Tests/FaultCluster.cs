using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;
using SynergAI.Grains;
using SynergAI.Grains.Execution;

namespace SynergAI.Grains.Tests;

/// <summary>A one-silo cluster whose executor misbehaves on purpose (see <see cref="ScriptedExecutor"/>), with short
/// heartbeat settings so that a lost worker is noticed within about half a second.</summary>
public sealed class FaultCluster : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["SynergAI:TimeScale"] = "0.01",
        ["SynergAI:ReevaluationInterval"] = "00:00:00.250",
        ["SynergAI:HeartbeatInterval"] = "00:00:00.100",
        ["SynergAI:HeartbeatTimeout"] = "00:00:00.500",
        ["SynergAI:MaxAttempts"] = "3",
    };

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    public ScriptedExecutor Executor => (ScriptedExecutor)Cluster.Silos[0].ServiceProvider.GetRequiredService<IJobExecutor>();
    public RecordingJobHistory History => (RecordingJobHistory)Cluster.Silos[0].ServiceProvider.GetRequiredService<IJobHistory>();
    public JobEndCounter Ends => Cluster.Silos[0].ServiceProvider.GetRequiredService<JobEndCounter>();
    public EstimateFaults EstimateFaults => Cluster.Silos[0].ServiceProvider.GetRequiredService<EstimateFaults>();
    public ShardOutage ShardOutage => Cluster.Silos[0].ServiceProvider.GetRequiredService<ShardOutage>();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.Services.AddSingleton<IJobExecutor, ScriptedExecutor>(); // before the control plane, which uses TryAdd
            silo.Services.AddSingleton<IJobHistory, RecordingJobHistory>();
            silo.Services.AddSingleton<JobEndCounter>();
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<JobEndCounter>());
            silo.Services.AddSingleton<EstimateFaults>();
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<EstimateFaults>());
            silo.Services.AddSingleton<ShardOutage>();
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<ShardOutage>());
            silo.AddSynergAiControlPlane(configuration);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The job history kept in memory, as the PostgreSQL table would keep it: each job's latest status.</summary>
public sealed class RecordingJobHistory : IJobHistory
{
    readonly ConcurrentDictionary<string, JobStatus> _latest = new();

    public JobStatus? Of(string job) => _latest.GetValueOrDefault(job);

    public Task RecordAsync(JobStatus status)
    {
        _latest.AddOrUpdate(status.Id, status, (_, old) => status.Attempts >= old.Attempts ? status : old);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Grains.Persistence.JobHistoryRow>> UnfinishedAsync(string pool) =>
        Task.FromResult<IReadOnlyList<Grains.Persistence.JobHistoryRow>>([.. _latest.Values
            .Where(s => s.Pool == pool && !s.IsFinished).OrderBy(s => s.SubmittedAt)
            .Select(s => new Grains.Persistence.JobHistoryRow(s.Id, s.Pool, s.Spec.Engine, s.Spec.Queries, s.Spec.QosSeconds, s.State,
                s.Worker, s.Config, s.Attempts, s.SubmittedAt, s.DispatchedAt, s.StartedAt, s.CompletedAt, s.Violated, s.ExcessSeconds, s.Reason))]);
}

[CollectionDefinition(Name)]
public sealed class FaultCollection : ICollectionFixture<FaultCluster>
{
    public const string Name = "faults";
}

/// <summary>
/// An executor scripted by job id: <c>fail-start</c> throws in StartAsync (every attempt); <c>fail-once</c> reports a
/// failure at the end of attempt 1; <c>silent-once</c> neither heartbeats nor reports on attempt 1 (a lost worker) and
/// only stops when cancelled; anything else (and later attempts) runs like the simulated executor: it waits
/// <c>T_est × TimeScale</c>, heartbeating, then reports success. Every attempt's run interval is recorded (start at
/// StartAsync; stop just before its report is sent, or at CancelAsync) so tests can check attempts never overlap.
/// </summary>
public sealed class ScriptedExecutor(IGrainFactory grains, IOptions<SynergAiOptions> options) : IJobExecutor
{
    public sealed class Run(string job, int attempt, string worker, long started)
    {
        public string Job { get; } = job;
        public int Attempt { get; } = attempt;
        public string Worker { get; } = worker;
        public long Started { get; } = started;
        /// <summary>Stopwatch timestamp when the attempt stopped; null while it runs.</summary>
        public long? Stopped { get; set; }
        /// <summary>succeeded, failed (reported) or cancelled.</summary>
        public string? How { get; set; }
        public override string ToString() => $"{Job}#{Attempt} on {Worker}: {How ?? "running"}";
    }

    readonly object _gate = new();
    readonly List<Run> _runs = [];
    readonly List<(string Job, int Attempt, string Worker)> _startCalls = [];
    readonly Dictionary<(string, int), CancellationTokenSource> _stops = [];

    public IReadOnlyList<Run> RunsOf(string job) { lock (_gate) return [.. _runs.Where(r => r.Job == job).OrderBy(r => r.Started)]; }
    public IReadOnlyList<int> StartCallsOf(string job) { lock (_gate) return [.. _startCalls.Where(s => s.Job == job).Select(s => s.Attempt)]; }

    public Task StartAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _startCalls.Add((dispatch.Job, dispatch.Attempt, dispatch.Worker));
            if (dispatch.Job.Contains("fail-start"))
                throw new InvalidOperationException($"scripted: cannot start {dispatch.Job} attempt {dispatch.Attempt}");
            if (_runs.Any(r => r.Job == dispatch.Job && r.Attempt == dispatch.Attempt)) return Task.CompletedTask; // retried start
            var run = new Run(dispatch.Job, dispatch.Attempt, dispatch.Worker, Stopwatch.GetTimestamp());
            _runs.Add(run);
            var stop = new CancellationTokenSource();
            _stops[(dispatch.Job, dispatch.Attempt)] = stop;
            if (dispatch.Job.Contains("silent-once") && dispatch.Attempt == 1) return Task.CompletedTask; // lost: silent until cancelled
            var fail = dispatch.Job.Contains("fail-once") && dispatch.Attempt == 1;
            _ = Task.Run(() => RunAsync(dispatch, run, fail, stop.Token), CancellationToken.None);
            return Task.CompletedTask;
        }
    }

    public Task CancelAsync(string job, int attempt)
    {
        lock (_gate)
        {
            var run = _runs.FirstOrDefault(r => r.Job == job && r.Attempt == attempt && r.Stopped is null);
            if (run is not null)
            {
                run.Stopped = Stopwatch.GetTimestamp();
                run.How = "cancelled";
            }
            if (_stops.Remove((job, attempt), out var stop)) stop.Cancel();
        }
        return Task.CompletedTask;
    }

    public Task<bool> ResumeAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_runs.Any(r => r.Job == dispatch.Job && r.Attempt == dispatch.Attempt && r.Stopped is null));
    }

    async Task RunAsync(Dispatch dispatch, Run run, bool fail, CancellationToken stop)
    {
        var worker = grains.GetGrain<IWorkerRuntimeGrain>(dispatch.Worker);
        var runFor = TimeSpan.FromSeconds(dispatch.EstimateSeconds * dispatch.TimeScale);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var left = runFor; left > TimeSpan.Zero; left = runFor - clock.Elapsed)
            {
                await Task.Delay(left < options.Value.HeartbeatInterval ? left : options.Value.HeartbeatInterval, stop);
                if (clock.Elapsed < runFor && !await worker.Heartbeat(dispatch.Job, dispatch.Attempt))
                {
                    await CancelAsync(dispatch.Job, dispatch.Attempt); // its worker let go of it
                    return;
                }
            }
            lock (_gate)
            {
                if (run.Stopped is not null) return; // cancelled meanwhile: no report
                run.Stopped = Stopwatch.GetTimestamp();
                run.How = fail ? "failed" : "succeeded";
                _stops.Remove((dispatch.Job, dispatch.Attempt));
            }
            await worker.Report(new ExecutionReport(dispatch.Job, dispatch.Attempt, !fail, fail ? "scripted failure" : null));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}

/// <summary>Counts, per job, the calls that moved it from unfinished to finished (OnAttemptEnded or Cancel; both change the
/// state before their first await, so a before/after look around the call is exact).</summary>
public sealed class JobEndCounter : IIncomingGrainCallFilter
{
    readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _ends = new();

    /// <summary>The job's recorded ends, once there is one (or after 5 s): the job pushes its final state to watchers
    /// inside the call, so a test that saw it finish can get here before this filter has recorded the call.</summary>
    public async Task<IReadOnlyList<string>> EndsOfAsync(string job)
    {
        for (var waited = 0; waited < 5000 && !_ends.ContainsKey(job); waited += 10) await Task.Delay(10);
        return _ends.TryGetValue(job, out var ends) ? [.. ends] : [];
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod?.Name;
        if (context.Grain is not IJobGrain job || method is not (nameof(IJobLifecycleGrain.OnAttemptEnded) or nameof(IJobGrain.Cancel)))
        {
            await context.Invoke();
            return;
        }
        var before = await job.GetStatus();
        await context.Invoke();
        var after = await job.GetStatus();
        if (before is { IsFinished: false } && after is { IsFinished: true })
            _ends.GetOrAdd(after.Id, _ => new ConcurrentQueue<string>()).Enqueue($"{after.State} via {method}");
    }
}

/// <summary>Fails the next estimate calls a pool's dispatcher makes to its workers, as a worker on a silo that just died
/// fails them: the round that asked fails half-way, after the shards offered their jobs.</summary>
public sealed class EstimateFaults : IIncomingGrainCallFilter
{
    readonly ConcurrentDictionary<string, int> _armed = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> _failed = new(StringComparer.Ordinal);

    /// <summary>The next <paramref name="calls"/> estimate calls from <paramref name="pool"/>'s dispatcher fail.</summary>
    public void Arm(string pool, int calls) => _armed[pool] = calls;
    public int FailedFor(string pool) => _failed.GetValueOrDefault(pool);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        // The dispatcher's key is the pool's name; a shard's is the pool's name with its index.
        if (context.Grain is IWorkerRuntimeGrain && context.InterfaceMethod?.Name == nameof(IWorkerRuntimeGrain.Estimate)
            && context.SourceId?.Key.ToString() is { } pool && _armed.TryGetValue(pool, out var left) && left > 0
            && _armed.TryUpdate(pool, left - 1, left))
        {
            _failed.AddOrUpdate(pool, 1, (_, n) => n + 1);
            throw new TimeoutException($"scripted: estimate for {pool}'s dispatcher not answered");
        }
        return context.Invoke();
    }
}

/// <summary>A pool's shards as seen while their silo is dead but not yet declared so: an arrival handed to one gets no
/// answer until the test ends the outage, and then it is lost (the message died with the silo).</summary>
public sealed class ShardOutage : IIncomingGrainCallFilter
{
    readonly ConcurrentDictionary<string, TaskCompletionSource> _outages = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _held = new(StringComparer.Ordinal);

    public void Begin(string pool) => _outages[pool] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    public void End(string pool) { if (_outages.TryRemove(pool, out var outage)) outage.SetResult(); }
    /// <summary>The jobs whose enqueue was held (a blocker whose late heartbeat lost its attempt queues itself again too).</summary>
    public IReadOnlyCollection<string> HeldFor(string pool) => _held.TryGetValue(pool, out var jobs) ? [.. jobs] : [];

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IPoolShardGrain && context.InterfaceMethod?.Name == nameof(IPoolShardGrain.Enqueue)
            && context.TargetId.Key.ToString() is { } shard && Grains.Coordination.ShardKey.Parse(shard).Pool is var pool
            && _outages.TryGetValue(pool, out var outage))
        {
            _held.GetOrAdd(pool, _ => new()).Enqueue((string)context.Request.GetArgument(0)!);
            await outage.Task;
            throw new TimeoutException($"scripted: {shard} was unreachable; the arrival was lost with its silo");
        }
        await context.Invoke();
    }
}
