using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>
/// Keeps a local copy of every job pod (the informer pattern): list, then watch from the list's resource version,
/// passing each change on; when a watch ends it watches again from the last version seen; when that version is too
/// old (410 Gone) it lists again, and pods missing from the new list count as deleted. Failed connections are retried
/// by a Polly pipeline with exponential backoff; a watch that ends normally is resumed at once.
/// </summary>
public sealed class PodInformer : IAsyncDisposable
{
    readonly KubernetesApi _api;
    readonly Action<WatchEventType, V1Pod> _onChange;
    readonly Action<IReadOnlySet<string>, DateTimeOffset> _onRelisted;
    readonly TimeProvider _time;
    readonly ILogger _log;
    readonly ResiliencePipeline _reconnect;
    readonly ConcurrentDictionary<string, V1Pod> _pods = new();
    readonly CancellationTokenSource _stop = new();
    readonly object _gate = new();
    Task? _running;
    string? _resourceVersion;

    /// <param name="onChange">Each change of a job pod, in order (also the differences a re-list finds).</param>
    /// <param name="onRelisted">After each list: the names it held and when it was asked for. A pod created before
    /// that time and missing from the list is gone, even if this informer never saw it.</param>
    public PodInformer(KubernetesApi api, KubernetesExecutorOptions options, TimeProvider time, ILogger log,
        Action<WatchEventType, V1Pod> onChange, Action<IReadOnlySet<string>, DateTimeOffset> onRelisted)
    {
        _api = api;
        _onChange = onChange;
        _onRelisted = onRelisted;
        _time = time;
        _log = log;
        _reconnect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue, // an informer never gives up; the backoff keeps it polite
                Delay = options.WatchRetryDelay,
                MaxDelay = options.WatchRetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult(KubernetesApi.RetryAfter(args.Outcome.Exception, time)),
                OnRetry = args =>
                {
                    // Transient trouble is routine; anything else (401, 403: RBAC, a wrong namespace) needs a person.
                    var level = args.Outcome.Exception is HttpOperationException && !KubernetesApi.IsTransient(args.Outcome.Exception) ? LogLevel.Warning : LogLevel.Information;
                    log.Log(level, "pod watch: {Error}; reconnecting in {Delay}", KubernetesApi.Describe(args.Outcome.Exception), args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Lists, watches and re-watches in the background from the first call on.</summary>
    public void EnsureStarted()
    {
        lock (_gate) _running ??= Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>The last state seen of a job pod, if it exists.</summary>
    public bool TryGet(string name, out V1Pod pod) => _pods.TryGetValue(name, out pod!);

    async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // One call per healthy watch: a new ExecuteAsync starts the backoff afresh after a watch that worked.
                await _reconnect.ExecuteAsync(WatchOnceAsync, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogError(e, "pod watch gave up unexpectedly; starting over");
            }
        }
    }

    /// <summary>One list (if there is no version to resume from) and one watch until the server ends it. Throws when
    /// either fails, so that the pipeline backs off before the next try.</summary>
    async ValueTask WatchOnceAsync(CancellationToken cancellationToken)
    {
        if (_resourceVersion is null) await RelistAsync(cancellationToken);
        Exception? failure = null;
        var events = 0;
        var opened = _time.GetUtcNow();
        try
        {
            await foreach (var (type, pod) in _api.WatchPodsAsync(_resourceVersion!, e => failure ??= e, cancellationToken))
            {
                events++;
                if (pod?.Metadata?.ResourceVersion is { } version) _resourceVersion = version;
                if (type is WatchEventType.Bookmark || pod?.Metadata?.Name is not { } name) continue;
                if (type == WatchEventType.Deleted) _pods.TryRemove(name, out _);
                else _pods[name] = pod;
                Notify(type, pod);
            }
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone)
        {
            failure = e;
        }
        if (failure is KubernetesException { Status.Code: 410 } or HttpOperationException { Response.StatusCode: HttpStatusCode.Gone })
        {
            _resourceVersion = null; // history since our version is gone: list again
            throw new WatchExpiredException(failure);
        }
        if (failure is not null) throw new IOException($"pod watch reported an error after {events} event(s)", failure);
        // A server that closes every watch at once must not be asked again at once, forever: back off as for a failure.
        if (events == 0 && _time.GetUtcNow() - opened < QuickEnd) throw new IOException("pod watch ended at once without any event");
    }

    static readonly TimeSpan QuickEnd = TimeSpan.FromSeconds(1);

    async Task RelistAsync(CancellationToken cancellationToken)
    {
        var asked = _time.GetUtcNow();
        var list = await _api.ListPodsAsync(cancellationToken);
        var present = new HashSet<string>();
        foreach (var pod in list.Items)
        {
            var name = pod.Metadata.Name;
            present.Add(name);
            var known = _pods.TryGetValue(name, out var old);
            if (known && old!.Metadata.ResourceVersion == pod.Metadata.ResourceVersion) continue;
            _pods[name] = pod;
            Notify(known ? WatchEventType.Modified : WatchEventType.Added, pod);
        }
        foreach (var (name, old) in _pods)
            if (!present.Contains(name) && _pods.TryRemove(name, out _))
                Notify(WatchEventType.Deleted, old); // deleted while we were not watching
        _resourceVersion = list.Metadata.ResourceVersion;
        _onRelisted(present, asked);
    }

    /// <summary>Passes a change on; a failing handler must not make the informer skip past later changes.</summary>
    void Notify(WatchEventType type, V1Pod pod)
    {
        try { _onChange(type, pod); }
        catch (Exception e) { _log.LogError(e, "handling {Type} of pod {Pod} failed", type, pod.Metadata?.Name); }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null) await _running;
        _stop.Dispose();
    }

    sealed class WatchExpiredException(Exception? inner) : Exception("pod watch: resource version expired (410 Gone); listing again", inner);
}
