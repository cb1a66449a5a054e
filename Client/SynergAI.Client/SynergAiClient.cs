using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Client;

/// <summary>
/// The SynergAI control plane as a .NET API: submit, inspect, wait for and cancel jobs; list and register workers;
/// import a testbed's profile; read and configure pools. A thin layer over the grain interfaces in
/// <c>SynergAI.Grains</c>: build it on an Orleans client (<c>services.AddSynergAiClient()</c>) or, inside a silo or any
/// other grain-based service, on its <see cref="IGrainFactory"/>.
/// </summary>
/// <remarks>Bad input is rejected with <see cref="ArgumentException"/> — by this class before anything is sent when
/// it can tell, otherwise by the grains, whose exceptions arrive here unchanged.</remarks>
public sealed class SynergAiClient
{
    readonly IGrainFactory _grains;
    readonly SynergAiClientOptions _options;
    readonly ResiliencePipeline _retry;

    /// <param name="grains">An <see cref="IClusterClient"/> or a silo's <see cref="IGrainFactory"/>.</param>
    /// <param name="options">List concurrency and poll interval (gateways are not used here).</param>
    public SynergAiClient(IGrainFactory grains, SynergAiClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        _grains = grains;
        _options = options ?? new SynergAiClientOptions();
        _options.Validate();
        _retry = RetryPipeline(_options.RetryFor);
    }

    /// <summary>Retries the calls that are safe to repeat while the cluster is unavailable. Bad input
    /// (<see cref="ArgumentException"/>) and refusals (<see cref="InvalidOperationException"/>) are answers, not outages.</summary>
    static ResiliencePipeline RetryPipeline(TimeSpan retryFor)
    {
        if (retryFor == TimeSpan.Zero) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddTimeout(retryFor)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (ArgumentException or InvalidOperationException or OperationCanceledException)),
                MaxRetryAttempts = int.MaxValue, // bounded by the timeout
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(2),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    Task<T> Retried<T>(Func<Task<T>> call, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(async token => await call().WaitAsync(token), cancellationToken).AsTask();

    /// <summary>The grain factory underneath, for calls this class does not wrap.</summary>
    public IGrainFactory Grains => _grains;

    // ---- jobs ----

    /// <summary>A fresh job id, <c>job-{guid}</c>.</summary>
    public static string NewJobId() => $"job-{Guid.NewGuid():N}";

    /// <summary>Why <paramref name="id"/> cannot be a job id, or null when it can.</summary>
    public static string? JobIdProblem(string? id) =>
        string.IsNullOrWhiteSpace(id) ? "job id must not be empty"
        : id.Length > JobSpec.MaxNameLength ? $"job id is {id.Length} characters long; at most {JobSpec.MaxNameLength} are allowed"
        : id.All(char.IsAsciiDigit) ? $"job id '{id}' is all digits; use an id with a letter, e.g. 'job-{id}'"
        : id.Any(char.IsControl) ? $"job id '{id}' contains control characters"
        : null;

    /// <summary>Submits a job to <paramref name="pool"/> and returns its status (Queued, or further along). Idempotent:
    /// the same id with the same spec returns the existing job; the same id with another spec is rejected.</summary>
    /// <param name="id">The job id; null generates <c>job-{guid}</c>. Never all digits.</param>
    public async Task<JobStatus> SubmitAsync(JobSpec spec, string? id = null, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem) throw new ArgumentException(problem, nameof(spec));
        id ??= NewJobId();
        if (JobIdProblem(id) is { } idProblem) throw new ArgumentException(idProblem, nameof(id));
        CheckPool(pool);
        var job = _grains.GetGrain<IJobGrain>(id);
        return await Retried(() => job.Submit(spec, pool), cancellationToken); // same id and spec: idempotent
    }

    /// <summary>The job's status, or null if no job has this id.</summary>
    public async Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        if (JobIdProblem(id) is { } problem) throw new ArgumentException(problem, nameof(id));
        var job = _grains.GetGrain<IJobGrain>(id);
        return await Retried(job.GetStatus, cancellationToken);
    }

    /// <summary>Cancels the job (a finished job stays as it is) and returns its status; <see cref="ArgumentException"/>
    /// if no job has this id.</summary>
    public async Task<JobStatus> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        if (JobIdProblem(id) is { } problem) throw new ArgumentException(problem, nameof(id));
        return await _grains.GetGrain<IJobGrain>(id).Cancel().WaitAsync(cancellationToken);
    }

    /// <summary>Polls the job until it is Completed, Failed or Cancelled and returns its final status;
    /// <see cref="ArgumentException"/> if no job has this id.</summary>
    public async Task<JobStatus> WaitForCompletionAsync(string id, TimeSpan? poll = null, CancellationToken cancellationToken = default)
    {
        JobStatus? last = null;
        await foreach (var status in WatchAsync(id, poll, cancellationToken)) last = status;
        return last!;
    }

    /// <summary>Yields the job's status now and at every change (state or attempt), until it is finished;
    /// <see cref="ArgumentException"/> if no job has this id.</summary>
    public async IAsyncEnumerable<JobStatus> WatchAsync(string id, TimeSpan? poll = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var interval = poll ?? _options.PollInterval;
        if (interval <= TimeSpan.Zero) throw new ArgumentException($"poll interval must be positive, got {interval}", nameof(poll));
        if (JobIdProblem(id) is { } problem) throw new ArgumentException(problem, nameof(id));
        var grain = _grains.GetGrain<IJobGrain>(id);
        JobStatus? previous = null;
        while (true)
        {
            var status = await Retried(grain.GetStatus, cancellationToken)
                ?? throw new ArgumentException($"unknown job '{id}'", nameof(id));
            if (previous is null || status.State != previous.State || status.Attempts != previous.Attempts)
            {
                yield return status;
                previous = status;
            }
            if (status.IsFinished) yield break;
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>Every job the pool knows (queued, running and the most recent finished ones) with its status, in the
    /// pool's order: queued, running, then the others by submission.</summary>
    public async Task<IReadOnlyList<JobStatus>> ListJobsAsync(string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        var ids = await Retried(coordinator.ListJobs, cancellationToken);
        var statuses = await ForEachAsync(ids, id => Retried(_grains.GetGrain<IJobGrain>(id).GetStatus, cancellationToken), cancellationToken);
        return [.. statuses.OfType<JobStatus>()];
    }

    // ---- workers ----

    /// <summary>The pool's workers, each as its grain knows it.</summary>
    public async Task<IReadOnlyList<WorkerStatus>> ListWorkersAsync(string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        var status = await GetPoolAsync(pool, cancellationToken);
        return await ForEachAsync(status.Workers, w => _grains.GetGrain<IWorkerNodeGrain>(w).GetStatus(), cancellationToken);
    }

    /// <summary>Registers (or re-registers) a worker with its profile in <paramref name="pool"/>; a bad profile is
    /// rejected with <see cref="ArgumentException"/> and changes nothing.</summary>
    public async Task<WorkerStatus> RegisterWorkerAsync(WorkerSpec spec, IEnumerable<ProfilePoint> profile,
        string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(spec.Name)) throw new ArgumentException("worker name must not be empty", nameof(spec));
        CheckPool(pool);
        return await _grains.GetGrain<IWorkerNodeGrain>(spec.Name).Register(spec, [.. profile], pool).WaitAsync(cancellationToken);
    }

    /// <summary>Reads a testbed folder (<c>workers.csv</c>, <c>profile.csv</c>) and registers each of its workers with
    /// its profile rows in <paramref name="pool"/>. The folder is read and checked first: bad input throws
    /// (<see cref="InputFileException"/> naming file, line and field; <see cref="IOException"/> for a missing folder or
    /// file) before anything is sent.</summary>
    public async Task<IReadOnlyList<WorkerStatus>> ImportProfileAsync(string testbedFolder, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        var testbed = TestbedFiles.Load(testbedFolder);
        return await RegisterTestbedAsync(testbed, pool, cancellationToken);
    }

    /// <summary>Registers every worker of <paramref name="testbed"/> with its profile rows in <paramref name="pool"/>, one
    /// after another in file order: a new pool's worker order, which round robin and tie-breaks follow.</summary>
    public async Task<IReadOnlyList<WorkerStatus>> RegisterTestbedAsync(Testbed testbed, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testbed);
        CheckPool(pool);
        var rows = testbed.Profile.ToLookup(p => p.Worker, StringComparer.Ordinal);
        var registered = new List<WorkerStatus>(testbed.Workers.Count);
        foreach (var w in testbed.Workers)
            registered.Add(await _grains.GetGrain<IWorkerNodeGrain>(w.Name).Register(ToSpec(w), [.. rows[w.Name].Select(ToPoint)], pool)
                .WaitAsync(cancellationToken));
        return registered;
    }

    public static WorkerSpec ToSpec(Worker worker) => new(worker.Name, worker.Arch, worker.Cpus, worker.MemoryGb, worker.DefaultConfig);

    public static ProfilePoint ToPoint(ProfileEntry entry) => new(entry.Engine, entry.Config, entry.Qps, entry.PreprocessSeconds);

    // ---- pools ----

    /// <summary>The pool's settings, workers, engines, queue and running count.</summary>
    public async Task<PoolStatus> GetPoolAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        return await Retried(coordinator.GetStatus, cancellationToken);
    }

    /// <summary>What submitting <paramref name="spec"/> to <paramref name="pool"/> now would bring — predicted worker,
    /// configuration, start, finish, whether the deadline is met, and the tightest deadline that would be — by the pool's
    /// forecast. Nothing is stored.</summary>
    public async Task<JobQuote> QuoteAsync(JobSpec spec, string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem) throw new ArgumentException(problem, nameof(spec));
        CheckPool(pool);
        return await Retried(() => _grains.GetGrain<IQueueCoordinatorGrain>(pool).Quote(spec), cancellationToken);
    }

    /// <summary>Changes the pool's policy, time scale and re-evaluation interval. Only while nothing is queued or
    /// running: otherwise the pool refuses (<see cref="InvalidOperationException"/>).</summary>
    public async Task<PoolSettings> ConfigurePoolAsync(string pool, PoolSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        CheckPool(pool);
        return await _grains.GetGrain<IQueueCoordinatorGrain>(pool).Configure(settings).WaitAsync(cancellationToken);
    }

    /// <summary>Runs one full re-evaluation of the pool's queue now and says how long its parts took.</summary>
    public async Task<ReevaluationTiming> ReevaluateAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        return await _grains.GetGrain<IQueueCoordinatorGrain>(pool).Reevaluate().WaitAsync(cancellationToken);
    }

    /// <summary>How many silos of the cluster are active.</summary>
    public async Task<int> CountActiveSilosAsync(CancellationToken cancellationToken = default)
    {
        var hosts = await _grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
        return hosts.Count;
    }

    // ---- helpers ----

    static void CheckPool(string pool)
    {
        if (string.IsNullOrWhiteSpace(pool)) throw new ArgumentException("pool must not be empty", nameof(pool));
    }

    /// <summary>Calls <paramref name="call"/> for every item with at most <see cref="SynergAiClientOptions.ListConcurrency"/>
    /// calls in flight; results in the items' order.</summary>
    async Task<IReadOnlyList<TResult>> ForEachAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, Task<TResult>> call,
        CancellationToken cancellationToken)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.ListConcurrency, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await call(items[i]).WaitAsync(token));
        return results;
    }
}
