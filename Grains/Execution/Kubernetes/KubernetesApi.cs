using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>
/// The few pod calls the executor makes, each through one Polly pipeline: retries with exponential backoff and jitter
/// on 429 (waiting the server's Retry-After when it sends one), 5xx, transport errors and per-call timeouts. Answers
/// that mean "already so" (409 on create, 404 on get/delete) are results, not errors.
/// </summary>
public sealed class KubernetesApi : IDisposable
{
    readonly IKubernetes _client;
    readonly ResiliencePipeline _calls;
    readonly KubernetesExecutorOptions _options;

    public KubernetesApi(IOptions<KubernetesExecutorOptions> options, TimeProvider time, ILogger<KubernetesApi> log)
        : this(new k8s.Kubernetes(ClientConfiguration(options.Value)), options.Value, time, log) { }

    internal KubernetesApi(IKubernetes client, KubernetesExecutorOptions options, TimeProvider time, ILogger log)
    {
        _client = client;
        _options = options;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.ApiRetries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(!args.Context.CancellationToken.IsCancellationRequested && IsTransient(args.Outcome.Exception)),
                MaxRetryAttempts = options.ApiRetries,
                Delay = options.ApiRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception, time)),
                OnRetry = args =>
                {
                    log.LogInformation("Kubernetes API call failed ({Error}); retry {Retry} in {Delay}", Describe(args.Outcome.Exception), args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        _calls = builder.AddTimeout(options.ApiTimeout).Build();
    }

    public string Namespace => _options.Namespace;

    /// <summary>Creates the pod; false if a pod of that name exists already (a retried create that had gone through).</summary>
    public async Task<bool> CreatePodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _calls.ExecuteAsync(async ct => await _client.CoreV1.CreateNamespacedPodAsync(pod, Namespace, cancellationToken: ct), cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>The pod, or null if there is none of that name.</summary>
    public async Task<V1Pod?> GetPodAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _calls.ExecuteAsync(async ct => await _client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: ct), cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes the pod; a pod already gone is fine.</summary>
    public async Task DeletePodAsync(string name, int gracePeriodSeconds, CancellationToken cancellationToken)
    {
        try
        {
            await _calls.ExecuteAsync(async ct => await _client.CoreV1.DeleteNamespacedPodAsync(name, Namespace, gracePeriodSeconds: gracePeriodSeconds, cancellationToken: ct), cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>Every job pod, with the list's resource version to watch from.</summary>
    public Task<V1PodList> ListPodsAsync(CancellationToken cancellationToken) =>
        _calls.ExecuteAsync(async ct => await _client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: JobPod.Selector, cancellationToken: ct), cancellationToken).AsTask();

    /// <summary>Job pod changes after <paramref name="resourceVersion"/>, until the server ends the stream. Not retried
    /// here: the informer reconnects (with its own backoff) from the last version it saw.</summary>
    public IAsyncEnumerable<(WatchEventType Type, V1Pod Pod)> WatchPodsAsync(string resourceVersion, Action<Exception> onError, CancellationToken cancellationToken) =>
        _client.CoreV1.WatchListNamespacedPodAsync(Namespace, allowWatchBookmarks: true, labelSelector: JobPod.Selector,
            resourceVersion: resourceVersion, timeoutSeconds: (int)Math.Ceiling(_options.WatchTimeout.TotalSeconds), onError: onError,
            cancellationToken: cancellationToken);

    public void Dispose() => _client.Dispose();

    /// <summary>429 and 5xx (the server may do it later), transport failures and per-call timeouts.</summary>
    public static bool IsTransient(Exception? e) => e switch
    {
        HttpOperationException h => h.Response?.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError,
        KubernetesException k => k.Status?.Code is 429 or >= 500,
        HttpRequestException or IOException or TimeoutRejectedException => true,
        OperationCanceledException => true, // the HTTP client's own timeout; the caller's cancellation is checked before
        _ => false,
    };

    /// <summary>The server's Retry-After (seconds or a date), else null: the retry's own backoff.</summary>
    internal static TimeSpan? RetryAfter(Exception? e, TimeProvider time)
    {
        if (e is not HttpOperationException { Response.Headers: { } headers }) return null;
        var value = headers.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        if (value is null) return null;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at > time.GetUtcNow() ? at - time.GetUtcNow() : TimeSpan.Zero;
        return null;
    }

    public static string Describe(Exception? e) => e switch
    {
        HttpOperationException { Response: { } r } => $"HTTP {(int)r.StatusCode} {r.ReasonPhrase}",
        null => "no error",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    /// <summary>Empty ApiServer: in-cluster when in a pod, else the kubeconfig. Set: that URL, with the kubeconfig's
    /// credentials if there is a kubeconfig, else none.</summary>
    static KubernetesClientConfiguration ClientConfiguration(KubernetesExecutorOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ApiServer))
        {
            if (KubernetesClientConfiguration.IsInCluster()) return KubernetesClientConfiguration.InClusterConfig();
            try
            {
                return KubernetesClientConfiguration.BuildConfigFromConfigFile();
            }
            catch (Exception e) when (e is KubeConfigException or FileNotFoundException or IOException)
            {
                throw new InvalidOperationException(
                    $"{KubernetesExecutorOptions.Section}: no Kubernetes API server: not running in a pod, and no usable kubeconfig ({e.Message}); " +
                    $"set {KubernetesExecutorOptions.Section}:ApiServer or KUBECONFIG", e);
            }
        }
        var kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator).FirstOrDefault(File.Exists)
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(kubeconfig)
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, masterUrl: options.ApiServer)
            : new KubernetesClientConfiguration { Host = options.ApiServer };
    }
}
