using System.Runtime.CompilerServices;
using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>
/// The SynergAI control plane as a .NET API (<see cref="ISynergAiClient"/>): a thin layer over the grain interfaces in
/// <c>SynergAI.Grains</c>, built on an Orleans client (<c>services.AddSynergAiClient(…)</c>) or, inside a silo or any
/// other grain-based service, on its <see cref="IGrainFactory"/> (<c>services.AddSynergAiClientInSilo()</c>).
/// </summary>
/// <remarks>Bad input is rejected with <see cref="ArgumentException"/> before anything is sent when this class can tell;
/// refusals arrive as <see cref="SynergAiException"/>s; outages are retried by one policy and then reported as
/// <see cref="ClusterUnreachableException"/> (see <see cref="SynergAiClientOptions.RetryFor"/>).</remarks>
public sealed class SynergAiClient : ISynergAiClient
{
    readonly IGrainFactory _grains;
    readonly SynergAiClientOptions _options;
    readonly CallPolicy _policy;

    /// <summary>Builds the client on a grain factory.</summary>
    /// <param name="grains">An <see cref="IClusterClient"/> or a silo's <see cref="IGrainFactory"/>.</param>
    /// <param name="options">Retries, watch and list settings (gateways are not used here); null: the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SynergAiClient(IGrainFactory grains, SynergAiClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        _grains = grains;
        _options = options ?? new SynergAiClientOptions();
        _options.Validate();
        _policy = new CallPolicy(_options, Where(grains, _options));
    }

    internal static string Where(IGrainFactory? grains, SynergAiClientOptions options) =>
        grains is not (null or IClusterClient) ? "this silo's cluster"
        : !string.IsNullOrWhiteSpace(options.PostgresConnectionString) ? "the gateways listed in PostgreSQL"
        : options.Gateways is { Count: > 0 } g ? string.Join(", ", g) : SynergAiClientOptions.DefaultGateway;

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

    /// <inheritdoc/>
    public async Task<JobStatus> SubmitAsync(JobSpec spec, string? id = null, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem) throw new ArgumentException(problem, nameof(spec));
        id ??= NewJobId(); // chosen here, before the call leaves: a retried or cancelled submission keeps its id
        if (JobIdProblem(id) is { } idProblem) throw new ArgumentException(idProblem, nameof(id));
        CheckPool(pool);
        var job = _grains.GetGrain<IJobGrain>(id);
        try
        {
            return await _policy.Run(() => job.Submit(spec, pool), cancellationToken); // same id and spec: idempotent
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new JobSubmissionCancelledException(id, e);
        }
    }

    /// <inheritdoc/>
    public async Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        CheckId(id);
        var job = _grains.GetGrain<IJobGrain>(id);
        return await _policy.Run(job.GetStatus, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobStatus> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        CheckId(id);
        var job = _grains.GetGrain<IJobGrain>(id);
        return await _policy.Run(job.Cancel, cancellationToken); // cancelling twice is cancelling once
    }

    /// <inheritdoc/>
    public async Task<JobStatus> WaitForCompletionAsync(string id, CancellationToken cancellationToken = default)
    {
        JobStatus? last = null;
        await foreach (var status in WatchAsync(id, cancellationToken)) last = status;
        return last!;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<JobStatus> WatchAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckId(id);
        var job = _grains.GetGrain<IJobGrain>(id);
        var watcher = new JobWatcher();
        IJobObserver? pushed = null;
        try { pushed = _grains.CreateObjectReference<IJobObserver>(watcher); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or OrleansException) { /* poll instead */ }
        var seen = 0; // sequence number of the latest change yielded: nothing is yielded twice or out of order
        try
        {
            var renewed = DateTime.UtcNow;
            var changes = await _policy.Run(() => pushed is null ? job.Changes(seen) : job.Watch(pushed, seen), cancellationToken);
            while (true)
            {
                foreach (var change in changes.Where(c => c.Sequence > seen))
                {
                    seen = change.Sequence;
                    yield return change.Status;
                    if (change.Status.IsFinished) yield break;
                }
                if (pushed is null)
                {
                    await Task.Delay(_options.PollInterval, cancellationToken);
                    changes = await _policy.Run(() => job.Changes(seen), cancellationToken);
                    continue;
                }
                var wait = _options.WatchRenewInterval - (DateTime.UtcNow - renewed);
                var next = wait > TimeSpan.Zero ? await watcher.NextAsync(wait, cancellationToken) : null;
                if (next is not null && next.Sequence <= seen) { changes = []; continue; } // already seen
                if (next is not null && next.Sequence == seen + 1) { changes = [next]; continue; }
                // A gap (a push was lost or overtaken), or silence: renew the subscription and ask for what was missed.
                // The subscription lapses on the grain after a minute; a grain that moved silo forgot it altogether.
                renewed = DateTime.UtcNow;
                var missed = await _policy.Run(() => job.Watch(pushed, seen), cancellationToken);
                changes = next is null ? missed : [.. missed.Append(next).OrderBy(c => c.Sequence)];
            }
        }
        finally
        {
            if (pushed is not null)
            {
                try { await job.Unwatch(pushed).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None); }
                catch (Exception) { /* the subscription lapses by itself */ }
                _grains.DeleteObjectReference<IJobObserver>(pushed);
            }
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobStatus>> ListJobsAsync(string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        return await ListAllJobsAsync(new JobQuery(pool, PageSize: JobQuery.MaxPageSize), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<JobStatus>> ListAllJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var jobs = new List<JobStatus>();
        for (var next = query; ;)
        {
            var page = await ListJobsAsync(next, cancellationToken);
            jobs.AddRange(page.Jobs);
            if (page.ContinuationToken is not { } token) return jobs;
            next = query with { ContinuationToken = token };
        }
    }

    /// <inheritdoc/>
    public async Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Problem() is { } problem) throw new ArgumentException(problem, nameof(query));
        var index = _grains.GetGrain<IJobQueryGrain>(0);
        return await _policy.Run(() => index.Query(query), cancellationToken);
    }

    // ---- workers ----

    /// <inheritdoc/>
    public async Task<IReadOnlyList<WorkerStatus>> ListWorkersAsync(string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default)
    {
        var status = await GetPoolAsync(pool, cancellationToken);
        return await ForEachAsync(status.Workers, w => _policy.Run(_grains.GetGrain<IWorkerNodeGrain>(w).GetStatus, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<WorkerStatus> RegisterWorkerAsync(WorkerSpec spec, IEnumerable<ProfilePoint> profile,
        string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(spec.Name)) throw new ArgumentException("worker name must not be empty", nameof(spec));
        CheckPool(pool);
        ProfilePoint[] points = [.. profile];
        var worker = _grains.GetGrain<IWorkerNodeGrain>(spec.Name);
        return await _policy.Run(() => worker.Register(spec, points, pool), cancellationToken); // the same registration twice is one
    }

    // ---- pools ----

    /// <inheritdoc/>
    public async Task<PoolStatus> GetPoolAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        return await _policy.Run(coordinator.GetStatus, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<JobQuote> QuoteAsync(JobSpec spec, string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Problem() is { } problem) throw new ArgumentException(problem, nameof(spec));
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        return await _policy.Run(() => coordinator.Quote(spec), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<QueueForecast> ForecastAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        return await _policy.Run(coordinator.Forecast, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<PoolSettings> ConfigurePoolAsync(string pool, PoolSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        CheckPool(pool);
        var coordinator = _grains.GetGrain<IQueueCoordinatorGrain>(pool);
        return await _policy.Run(() => coordinator.Configure(settings), cancellationToken); // the same settings twice are one change
    }

    /// <summary>Runs one full re-evaluation of the pool's queue now and says how long its parts took. Not retried (a
    /// measurement: a retry would time another round).</summary>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    public async Task<ReevaluationTiming> ReevaluateAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default)
    {
        CheckPool(pool);
        try
        {
            return await _grains.GetGrain<IQueueCoordinatorGrain>(pool).Reevaluate().WaitAsync(cancellationToken);
        }
        catch (Exception e) when (CallPolicy.IsOutage(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnreachableException(Where(_grains, _options), e.Message, e);
        }
    }

    /// <summary>How many silos of the cluster are active.</summary>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    public async Task<int> CountActiveSilosAsync(CancellationToken cancellationToken = default)
    {
        var management = _grains.GetGrain<IManagementGrain>(0);
        var hosts = await _policy.Run(() => management.GetHosts(onlyActive: true), cancellationToken);
        return hosts.Count;
    }

    // ---- helpers ----

    static void CheckId(string id)
    {
        if (JobIdProblem(id) is { } problem) throw new ArgumentException(problem, nameof(id));
    }

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
            async (i, _) => results[i] = await call(items[i]));
        return results;
    }
}
