using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SynergAI.Kubernetes.Tests.Fake;

/// <summary>
/// An in-process stand-in for the few pod endpoints of a Kubernetes API server the executor uses (see README.md):
/// create, get, list, watch and delete pods in any namespace, with resource versions, 409/404/410 answers and 429s on
/// demand. Pods do not run anything: each created pod is handed to <see cref="Behaviour"/>, which moves it through
/// its phases (<see cref="FakePod"/>). Every pod ever created stays in <see cref="Pods"/> for the tests to inspect.
/// </summary>
public sealed class FakeKubernetes : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly object _gate = new();
    readonly Dictionary<string, FakePod> _live = []; // namespace/name → pod
    readonly List<FakePod> _all = [];
    readonly List<(long Version, string Namespace, IDictionary<string, string> Labels, string Json)> _history = [];
    readonly List<Watch> _watches = [];
    readonly List<string> _requests = [];
    long _version = 1000;
    long _oldestWatchable;
    int _throttle;
    bool _loseNextCreateAnswer;
    int _retryAfterSeconds;

    /// <summary>What a created pod does; default: <see cref="Behaviours.AsSimulated"/>.</summary>
    public Func<FakePod, CancellationToken, Task> Behaviour { get; set; } = Behaviours.AsSimulated;

    /// <summary>Answer a too-old watch version with HTTP 410 instead of a 200 stream holding one 410 ERROR event (what a
    /// real API server usually does).</summary>
    public bool GoneAsHttpStatus { get; set; }

    public string Url { get; private set; } = "";

    /// <summary>Every request the fake answered (after throttling), e.g. <c>POST pods</c>, <c>WATCH pods</c>.</summary>
    public IReadOnlyList<string> Requests { get { lock (_gate) return [.. _requests]; } }

    public int Throttled { get; private set; }

    FakeKubernetes(WebApplication app) => _app = app;

    public static async Task<FakeKubernetes> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("FAKE_K8S_LOG") == "1") builder.Logging.AddConsole();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeKubernetes(app);
        app.Use(fake.ThrottleAsync);
        app.MapPost("/api/v1/namespaces/{ns}/pods", fake.CreateAsync);
        app.MapGet("/api/v1/namespaces/{ns}/pods", fake.ListOrWatchAsync);
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", fake.Get);
        app.MapDelete("/api/v1/namespaces/{ns}/pods/{name}", fake.Delete);
        await app.StartAsync();
        fake.Url = app.Urls.First();
        return fake;
    }

    // ---- what tests look at

    /// <summary>Every pod ever created (also deleted ones), in creation order.</summary>
    public IReadOnlyList<FakePod> Pods { get { lock (_gate) return [.. _all]; } }

    public IReadOnlyList<FakePod> PodsOf(string job) => [.. Pods.Where(p => p.Job == job)];

    /// <summary>Create requests per pod name, including those answered 409.</summary>
    public int CreateRequestsFor(string name) { lock (_gate) return _requests.Count(r => r == $"POST pods {name}"); }

    // ---- commands

    /// <summary>Deletes a pod the way a person or another controller would (the executor did not ask for it).</summary>
    public bool DeleteAsSomeoneElse(string name, string ns = "")
    {
        lock (_gate)
        {
            var pod = _live.Values.FirstOrDefault(p => p.Name == name && (ns == "" || p.Namespace == ns));
            if (pod is null) return false;
            RemoveLocked(pod, "someone else");
            return true;
        }
    }

    /// <summary>Ends every open watch stream (as a load balancer or an API server restart would).</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watches) w.Stream.Writer.TryComplete();
            _watches.Clear();
        }
    }

    /// <summary>Answers the next <paramref name="requests"/> requests (more, if some are still waiting to be throttled)
    /// with 429 and <c>Retry-After: seconds</c>.</summary>
    public void Throttle(int requests, int retryAfterSeconds = 1)
    {
        lock (_gate)
        {
            _throttle += requests;
            _retryAfterSeconds = retryAfterSeconds;
        }
    }

    /// <summary>The next create goes through but is answered 503, as if the answer were lost on the way back.</summary>
    public void LoseNextCreateAnswer() { lock (_gate) _loseNextCreateAnswer = true; }

    /// <summary>Forgets the change history (as compaction does): a watch from any version seen so far gets 410 Gone, and
    /// open watches are ended so that their clients come back with such a version.</summary>
    public void ExpireResourceVersions()
    {
        lock (_gate)
        {
            _oldestWatchable = ++_version; // every version handed out so far is older; a new list's is not
            _history.Clear();
        }
        DropWatches();
    }

    // ---- pods move (called by FakePod)

    internal void Changed(FakePod pod)
    {
        lock (_gate)
        {
            if (pod.Deleted) return;
            pod.Object.Metadata.ResourceVersion = (++_version).ToString();
            PublishLocked("MODIFIED", pod.Object);
        }
    }

    internal object Gate => _gate;

    // ---- endpoints

    async Task ThrottleAsync(HttpContext context, RequestDelegate next)
    {
        int retryAfter;
        lock (_gate)
        {
            if (_throttle <= 0) retryAfter = -1;
            else { _throttle--; Throttled++; retryAfter = _retryAfterSeconds; }
        }
        if (retryAfter < 0)
        {
            await next(context);
            return;
        }
        context.Response.Headers.RetryAfter = retryAfter.ToString();
        await WriteStatus(context, 429, "TooManyRequests", "throttled by the fake");
    }

    async Task CreateAsync(HttpContext context, string ns)
    {
        var pod = KubernetesJson.Deserialize<V1Pod>(await new StreamReader(context.Request.Body).ReadToEndAsync());
        FakePod created;
        lock (_gate)
        {
            _requests.Add($"POST pods {pod.Metadata.Name}");
            if (_live.ContainsKey($"{ns}/{pod.Metadata.Name}"))
            {
                created = null!;
            }
            else
            {
                pod.Metadata.NamespaceProperty = ns;
                pod.Metadata.Uid = Guid.NewGuid().ToString();
                pod.Metadata.CreationTimestamp = DateTime.UtcNow;
                pod.Metadata.ResourceVersion = (++_version).ToString();
                pod.Status = new V1PodStatus { Phase = "Pending" };
                created = new FakePod(this, pod);
                _live[$"{ns}/{pod.Metadata.Name}"] = created;
                _all.Add(created);
                PublishLocked("ADDED", pod);
            }
        }
        if (created is null)
        {
            await WriteStatus(context, 409, "AlreadyExists", $"pods \"{pod.Metadata.Name}\" already exists");
            return;
        }
        _ = Task.Run(() => RunBehaviourAsync(created));
        bool lose;
        lock (_gate) (lose, _loseNextCreateAnswer) = (_loseNextCreateAnswer, false);
        if (lose) await WriteStatus(context, 503, "ServiceUnavailable", "the answer was lost");
        else await WriteJson(context, 201, Serialize(created));
    }

    async Task RunBehaviourAsync(FakePod pod)
    {
        try { await Behaviour(pod, pod.Stopped); }
        catch (OperationCanceledException) { } // deleted
    }

    async Task ListOrWatchAsync(HttpContext context, string ns)
    {
        var selector = Selector(context.Request.Query["labelSelector"]);
        if (context.Request.Query["watch"] is var w && (w == "true" || w == "1"))
        {
            await WatchAsync(context, ns, selector);
            return;
        }
        string json;
        lock (_gate)
        {
            _requests.Add("LIST pods");
            var items = _live.Values.Where(p => p.Namespace == ns && selector(p.Object.Metadata.Labels)).Select(p => p.Object).ToList();
            json = KubernetesJson.Serialize(new V1PodList
            {
                ApiVersion = "v1", Kind = "PodList", Items = items,
                Metadata = new V1ListMeta { ResourceVersion = _version.ToString() },
            });
        }
        await WriteJson(context, 200, json);
    }

    async Task WatchAsync(HttpContext context, string ns, Func<IDictionary<string, string>?, bool> selector)
    {
        var asked = long.TryParse(context.Request.Query["resourceVersion"], out var v) ? v : (long?)null;
        var stream = Channel.CreateUnbounded<string>();
        var watch = new Watch(stream, ns, selector);
        lock (_gate)
        {
            _requests.Add("WATCH pods");
            var from = asked ?? _version; // no version: changes from now on
            if (from < _oldestWatchable)
            {
                if (GoneAsHttpStatus)
                {
                    stream = null;
                }
                else
                {
                    stream.Writer.TryWrite(JsonSerializer.Serialize(new { type = "ERROR", @object = GoneStatus() }));
                    stream.Writer.TryComplete();
                }
            }
            else
            {
                foreach (var (version, podNs, labels, json) in _history)
                    if (version > from && podNs == ns && selector(labels)) stream.Writer.TryWrite(json);
                _watches.Add(watch);
            }
        }
        if (stream is null)
        {
            await WriteStatus(context, 410, "Expired", "too old resource version");
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        var timeout = int.TryParse(context.Request.Query["timeoutSeconds"], out var t) ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        ends.CancelAfter(timeout);
        try
        {
            await foreach (var line in stream.Reader.ReadAllAsync(ends.Token))
            {
                await context.Response.WriteAsync(line + "\n", ends.Token);
                await context.Response.Body.FlushAsync(ends.Token);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            lock (_gate) _watches.Remove(watch);
        }
    }

    IResult Get(string ns, string name)
    {
        lock (_gate)
        {
            _requests.Add($"GET pods {name}");
            return _live.TryGetValue($"{ns}/{name}", out var pod)
                ? Results.Text(Serialize(pod), "application/json")
                : StatusResult(404, "NotFound", $"pods \"{name}\" not found");
        }
    }

    IResult Delete(string ns, string name)
    {
        lock (_gate)
        {
            _requests.Add($"DELETE pods {name}");
            if (!_live.TryGetValue($"{ns}/{name}", out var pod)) return StatusResult(404, "NotFound", $"pods \"{name}\" not found");
            RemoveLocked(pod, "executor");
            return Results.Text(KubernetesJson.Serialize(pod.Object), "application/json");
        }
    }

    void RemoveLocked(FakePod pod, string by)
    {
        _live.Remove($"{pod.Namespace}/{pod.Name}");
        pod.MarkDeleted(by);
        pod.Object.Metadata.ResourceVersion = (++_version).ToString();
        PublishLocked("DELETED", pod.Object);
    }

    void PublishLocked(string type, V1Pod pod)
    {
        var json = KubernetesJson.Serialize(new { type, @object = pod });
        var labels = new Dictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>());
        _history.Add((long.Parse(pod.Metadata.ResourceVersion), pod.Metadata.NamespaceProperty, labels, json));
        foreach (var w in _watches)
            if (w.Namespace == pod.Metadata.NamespaceProperty && w.Selector(labels)) w.Stream.Writer.TryWrite(json);
    }

    string Serialize(FakePod pod) { lock (_gate) return KubernetesJson.Serialize(pod.Object); }

    /// <summary>Equality selectors only (<c>a=b,c=d</c>): all the executor uses.</summary>
    static Func<IDictionary<string, string>?, bool> Selector(string? selector)
    {
        var pairs = (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => (Key: p[0], Value: p.Length > 1 ? p[1] : "")).ToArray();
        return labels => pairs.All(p => labels?.TryGetValue(p.Key, out var v) == true && v == p.Value);
    }

    sealed record Watch(Channel<string> Stream, string Namespace, Func<IDictionary<string, string>?, bool> Selector);

    /// <summary>A v1 Status (the client library cannot serialise its own V1Status, so it is written by hand).</summary>
    static object Status(int code, string reason, string message) =>
        new { apiVersion = "v1", kind = "Status", status = "Failure", reason, code, message };

    static object GoneStatus() => Status(410, "Expired", "too old resource version");

    static IResult StatusResult(int code, string reason, string message) =>
        Results.Text(JsonSerializer.Serialize(Status(code, reason, message)), "application/json", statusCode: code);

    static Task WriteStatus(HttpContext context, int code, string reason, string message) =>
        WriteJson(context, code, JsonSerializer.Serialize(Status(code, reason, message)));

    static async Task WriteJson(HttpContext context, int code, string json)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        lock (_gate) foreach (var pod in _live.Values) pod.MarkDeleted("fake stopped");
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
