using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>
/// Runs every attempt as one pod (see <see cref="JobPod"/>) and follows it through a <see cref="PodInformer"/>: while
/// the pod is Pending or Running it heartbeats the worker every <see cref="SynergAiOptions.HeartbeatInterval"/>; when it
/// succeeds, fails or is deleted by someone else it reports once (a success with its engine container's run time, from
/// which the worker learns: <see cref="PodOutcome.RunSecondsOf"/>). Only attempts this executor started or resumed are
/// followed, so several silos can watch the same namespace.
/// </summary>
public sealed class KubernetesExecutor : IJobExecutor, IAsyncDisposable
{
    /// <summary>An attempt this executor follows.</summary>
    sealed class Tracked(Dispatch dispatch, string pod, DateTimeOffset since)
    {
        public Dispatch Dispatch { get; } = dispatch;
        public string Pod { get; } = pod;
        /// <summary>When it was created or resumed: the pending timeout counts from here.</summary>
        public DateTimeOffset Since { get; } = since;
        public volatile string? Phase;
        public volatile string? WaitingReason;
        /// <summary>When the pod was known to exist (created, or found on resume); null before.</summary>
        public DateTimeOffset? ExistsSince;
    }

    readonly Func<string, IRunReports> _workers;
    readonly KubernetesApi _api;
    readonly KubernetesExecutorOptions _options;
    readonly IOptions<SynergAiOptions> _control;
    readonly TimeProvider _time;
    readonly ILogger _log;
    readonly PodInformer _informer;
    readonly ConcurrentDictionary<string, Tracked> _tracked = new(); // by pod name
    readonly CancellationTokenSource _stop = new();
    readonly Lazy<Task> _heartbeats;
    int _disposed;

    public KubernetesExecutor(IGrainFactory grains, KubernetesApi api, IOptions<KubernetesExecutorOptions> options,
        IOptions<SynergAiOptions> control, TimeProvider time, ILogger<KubernetesExecutor> log)
        : this(name => new WorkerGrainReports(grains.GetGrain<IWorkerRuntimeGrain>(name)), api, options, control, time, log) { }

    /// <summary>With workers from elsewhere (tests give stand-ins that record heartbeats and reports).</summary>
    internal KubernetesExecutor(Func<string, IRunReports> workers, KubernetesApi api, IOptions<KubernetesExecutorOptions> options,
        IOptions<SynergAiOptions> control, TimeProvider time, ILogger<KubernetesExecutor> log)
    {
        _workers = workers;
        _api = api;
        _options = options.Value;
        _control = control;
        _time = time;
        _log = log;
        _informer = new PodInformer(api, _options, time, log, OnPodChanged, OnRelisted);
        _heartbeats = new Lazy<Task>(() => Task.Run(() => HeartbeatAsync(_stop.Token)));
    }

    /// <summary>Pods this executor follows now (for tests and diagnostics).</summary>
    public IReadOnlyCollection<string> TrackedPods => [.. _tracked.Keys];

    public async Task StartAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var pod = JobPod.Build(dispatch, _options); // throws for an unmapped engine: the attempt fails to start
        var name = pod.Metadata.Name;
        EnsureRunning();
        // Follow it before it exists, so that no change of the new pod can slip past.
        var tracked = _tracked.GetOrAdd(name, _ => new Tracked(dispatch, name, _time.GetUtcNow()));
        try
        {
            if (!await _api.CreatePodAsync(pod, cancellationToken))
            {
                // 409: created before (a retried start, or a create whose answer was lost). Make sure it is ours.
                var existing = await _api.GetPodAsync(name, cancellationToken);
                if (existing is not null && !IsPodOf(existing, dispatch))
                    throw new InvalidOperationException($"pod {name} exists but belongs to another attempt");
                tracked.ExistsSince ??= _time.GetUtcNow();
                if (existing is not null) Observe(tracked, existing);
            }
            else
            {
                tracked.ExistsSince ??= _time.GetUtcNow();
                if (_informer.TryGet(name, out var seen)) Observe(tracked, seen);
            }
        }
        catch (Exception e)
        {
            _tracked.TryRemove(KeyValuePair.Create(name, tracked));
            if (e is not InvalidOperationException) await RemoveOrphanAsync(name);
            throw;
        }
    }

    /// <summary>Deletes a pod that must not run on: a create that failed may still have gone through (its answer lost),
    /// and the job will be retried elsewhere.</summary>
    async Task RemoveOrphanAsync(string name)
    {
        try { await _api.DeletePodAsync(name, _options.DeleteGracePeriodSeconds, CancellationToken.None); }
        catch (Exception e) { _log.LogWarning("could not remove pod {Pod} after its create failed: {Error}", name, KubernetesApi.Describe(e)); }
    }

    public async Task CancelAsync(string job, int attempt)
    {
        var name = JobPod.Name(job, attempt);
        _tracked.TryRemove(name, out _); // first: its deletion must not be reported
        await _api.DeletePodAsync(name, _options.DeleteGracePeriodSeconds, CancellationToken.None);
    }

    public async Task<bool> ResumeAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var name = JobPod.Name(dispatch.Job, dispatch.Attempt);
        var pod = await _api.GetPodAsync(name, cancellationToken);
        if (pod is null || !IsPodOf(pod, dispatch)) return false;
        EnsureRunning();
        var tracked = _tracked.GetOrAdd(name, _ => new Tracked(dispatch, name, _time.GetUtcNow()));
        tracked.ExistsSince ??= _time.GetUtcNow();
        Observe(tracked, pod); // already finished: reported now (after the worker's current turn)
        return true;
    }

    /// <summary>Lists and watches the job pods from now on (else from the first start or resume).</summary>
    public void StartWatching() => EnsureRunning();

    void EnsureRunning()
    {
        _informer.EnsureStarted();
        _ = _heartbeats.Value;
    }

    static bool IsPodOf(V1Pod pod, Dispatch dispatch) =>
        pod.Metadata?.Annotations is { } a && a.TryGetValue(JobPod.JobKey, out var job) && job == dispatch.Job &&
        a.TryGetValue(JobPod.AttemptKey, out var attempt) && attempt == dispatch.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);

    void OnPodChanged(WatchEventType type, V1Pod pod)
    {
        if (pod.Metadata?.Name is not { } name || !_tracked.TryGetValue(name, out var tracked)) return;
        if (type == WatchEventType.Deleted) Finish(tracked, PodOutcome.Of(pod) is { Succeeded: true } done ? done : PodOutcome.Gone(pod));
        else Observe(tracked, pod);
    }

    /// <summary>A pod that existed before a list was asked for and is not in it was deleted, even if the informer never
    /// saw it (created and deleted while the watch was down).</summary>
    void OnRelisted(IReadOnlySet<string> present, DateTimeOffset asked)
    {
        foreach (var tracked in _tracked.Values)
            if (tracked.ExistsSince < asked && !present.Contains(tracked.Pod))
                Finish(tracked, new PodOutcome(false, $"{PodOutcome.Deleted}: {tracked.Pod}"));
    }

    void Observe(Tracked tracked, V1Pod pod)
    {
        tracked.Phase = pod.Status?.Phase;
        tracked.WaitingReason = PodOutcome.WaitingReason(pod);
        if (PodOutcome.Of(pod) is { } outcome) Finish(tracked, outcome);
    }

    /// <summary>Reports an attempt's end exactly once (whoever removes it from the tracked set reports it), in the
    /// background: the caller may be the worker's own turn (ResumeAsync) or the watch loop.</summary>
    void Finish(Tracked tracked, PodOutcome outcome)
    {
        if (!_tracked.TryRemove(KeyValuePair.Create(tracked.Pod, tracked))) return;
        _ = Task.Run(() => ReportAsync(tracked, outcome));
    }

    async Task ReportAsync(Tracked tracked, PodOutcome outcome)
    {
        var d = tracked.Dispatch;
        try
        {
            // Measured in model seconds, as the worker's profile is (real seconds ÷ the dispatch's time scale).
            var measured = outcome.RunSeconds is { } real && d.TimeScale > 0 ? real / d.TimeScale : (double?)null;
            await _workers(d.Worker).Report(new ExecutionReport(d.Job, d.Attempt, outcome.Succeeded, outcome.Error, measured));
        }
        catch (Exception e)
        {
            // The pod stays, so a resumed worker finds the outcome; else the heartbeat timeout requeues the job.
            _log.LogWarning(e, "could not report attempt {Attempt} of {Job} to worker {Worker}", d.Attempt, d.Job, d.Worker);
            return;
        }
        if (!_options.DeleteFinishedPods || outcome.Error?.StartsWith(PodOutcome.Deleted, StringComparison.Ordinal) == true) return;
        try
        {
            await _api.DeletePodAsync(tracked.Pod, 0, _stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogInformation("could not delete finished pod {Pod}: {Error}", tracked.Pod, KubernetesApi.Describe(e));
        }
    }

    /// <summary>Every HeartbeatInterval: a heartbeat for each followed attempt whose pod is Pending or Running, and the
    /// end of one that has been Pending longer than PendingTimeout.</summary>
    async Task HeartbeatAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_control.Value.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var now = _time.GetUtcNow();
                var beats = new List<Task>();
                foreach (var tracked in _tracked.Values)
                {
                    if (tracked.Phase is null or "Pending" && now - tracked.Since > _options.PendingTimeout)
                    {
                        beats.Add(GiveUpPendingAsync(tracked, now - tracked.Since));
                        continue;
                    }
                    beats.Add(HeartbeatOneAsync(tracked));
                }
                // A slow worker grain must not hold up the others' heartbeats: wait one interval at most.
                try { await Task.WhenAll(beats).WaitAsync(_control.Value.HeartbeatInterval, _time, stop); }
                catch (TimeoutException) { }
                catch (Exception e) when (e is not OperationCanceledException) { _log.LogInformation("heartbeat failed: {Error}", e.Message); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>One heartbeat; a worker that no longer holds the attempt (it declared it lost, and the job may already
    /// run elsewhere) gets its pod deleted, so that two runs of one job never overlap.</summary>
    async Task HeartbeatOneAsync(Tracked tracked)
    {
        var d = tracked.Dispatch;
        if (await _workers(d.Worker).Heartbeat(d.Job, d.Attempt) || !_tracked.ContainsKey(tracked.Pod)) return;
        _log.LogWarning("worker {Worker} no longer holds attempt {Attempt} of {Job}: deleting its pod {Pod}", d.Worker, d.Attempt, d.Job, tracked.Pod);
        await CancelAsync(d.Job, d.Attempt);
    }

    async Task GiveUpPendingAsync(Tracked tracked, TimeSpan waited)
    {
        if (!_tracked.TryRemove(KeyValuePair.Create(tracked.Pod, tracked))) return;
        try
        {
            await _api.DeletePodAsync(tracked.Pod, _options.DeleteGracePeriodSeconds, _stop.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Reported only once it is surely gone, or it could start later while the job runs elsewhere.
            _log.LogWarning("could not delete pod {Pod}, pending too long: {Error}; trying again", tracked.Pod, KubernetesApi.Describe(e));
            _tracked.TryAdd(tracked.Pod, tracked);
            return;
        }
        var why = tracked.WaitingReason is { } reason ? $" ({reason})" : "";
        await ReportAsync(tracked, new PodOutcome(false, $"pod {tracked.Pod} still pending after {waited.TotalSeconds:0} s{why}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        if (_heartbeats.IsValueCreated) await _heartbeats.Value;
        await _informer.DisposeAsync();
        _stop.Dispose();
    }
}
