using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>
/// Settings of the Kubernetes executor (configuration section <c>SynergAI:Kubernetes</c>, used when
/// <c>SynergAI:Executor</c> is <c>kubernetes</c>). Every dispatched attempt becomes one pod in <see cref="Namespace"/>,
/// pinned to the worker's node, running the engine's image in the dispatched configuration.
/// </summary>
public sealed class KubernetesExecutorOptions
{
    public const string Section = "SynergAI:Kubernetes";

    /// <summary>Namespace the job pods are created in (and watched).</summary>
    public string Namespace { get; set; } = "synergai-jobs";

    /// <summary>API server URL. Empty: the in-cluster configuration (service account) when running in a pod, else the
    /// kubeconfig (<c>KUBECONFIG</c> or <c>~/.kube/config</c>). Set: that URL, with credentials from the kubeconfig if
    /// there is one, else none (a local proxy such as <c>kubectl proxy</c>, or a test server).</summary>
    public string? ApiServer { get; set; }

    /// <summary>Worker name → Kubernetes node name. A worker not listed runs on the node named like the worker.</summary>
    public Dictionary<string, string> Nodes { get; set; } = [];

    /// <summary>Engine name (as in profile.csv, e.g. <c>onnx-mobilenet-opset11</c>) → container image and command line.
    /// A dispatch of an engine not listed fails to start with a message naming the engine.</summary>
    public List<EngineImage> Engines { get; set; } = [];

    /// <summary>Image of the privileged init container that sets a Jetson power mode (<c>mode=M</c> configurations); it
    /// must provide <c>nvpmodel</c> and <c>sh</c>. Empty: dispatching a <c>mode=M</c> configuration fails to start.</summary>
    public string? PowerModeImage { get; set; }

    /// <summary>Image pull policy of every container (<c>Always</c>, <c>IfNotPresent</c>, <c>Never</c>); empty = the
    /// cluster's default.</summary>
    public string? ImagePullPolicy { get; set; }

    /// <summary>Service account of the job pods; empty = the namespace's default.</summary>
    public string? ServiceAccountName { get; set; }

    /// <summary>Extra environment variables set to the thread count for <c>threads=N</c> configurations, besides
    /// <c>OMP_NUM_THREADS</c>, <c>MKL_NUM_THREADS</c>, <c>TF_NUM_INTRAOP_THREADS</c> and <c>SYNERGAI_THREADS</c>.</summary>
    public List<string> ThreadVariables { get; set; } = [];

    /// <summary>Succeeded and failed pods are deleted once their outcome has reached the worker (false keeps them for
    /// <c>kubectl logs</c>; something else must then clean them up).</summary>
    public bool DeleteFinishedPods { get; set; } = true;

    /// <summary>Grace period of the pods' deletion on cancel (seconds; the engine gets SIGTERM, then SIGKILL).</summary>
    public int DeleteGracePeriodSeconds { get; set; } = 5;

    /// <summary>A pod still Pending after this long (image pull failing, node gone, no room) is deleted and its attempt
    /// reported failed, so the job goes back to the queue.</summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>API calls: retries after a 429 (honouring Retry-After), a 5xx or a transport error.</summary>
    public int ApiRetries { get; set; } = 6;

    /// <summary>API calls: first retry delay (exponential backoff with jitter; Retry-After wins when given).</summary>
    public TimeSpan ApiRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Timeout of one API call (not of a watch).</summary>
    public TimeSpan ApiTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The server ends each watch after this long; the executor then watches again from the last resource
    /// version (a regular re-check that the stream is alive).</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reconnecting a failed watch: first delay (exponential backoff with jitter) …</summary>
    public TimeSpan WatchRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>… and the longest delay between attempts.</summary>
    public TimeSpan WatchRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>How to run one engine: the image and its command line. <see cref="Command"/> and <see cref="Args"/> may use
/// the placeholders listed in <see cref="Placeholders"/>, replaced per attempt (e.g. <c>--queries={queries}</c>).</summary>
public sealed class EngineImage
{
    /// <summary>{job}, {attempt}, {engine}, {queries}, {config}, {threads} (empty unless threads=N), {mode} (empty unless
    /// mode=M), {worker}, {node}, {estimate_seconds} (model seconds), {time_scale}.</summary>
    public static readonly IReadOnlyList<string> Placeholders =
        ["job", "attempt", "engine", "queries", "config", "threads", "mode", "worker", "node", "estimate_seconds", "time_scale"];

    /// <summary>Engine name as dispatched (profile.csv's <c>engine</c>).</summary>
    public string Engine { get; set; } = "";

    /// <summary>Container image that runs it.</summary>
    public string Image { get; set; } = "";

    /// <summary>Container entrypoint; empty = the image's.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>Container arguments; empty = the image's.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Environment variables added to the engine container.</summary>
    public Dictionary<string, string> Env { get; set; } = [];
}

/// <summary>Rejects bad Kubernetes executor settings at start-up with one message per problem.</summary>
public sealed partial class KubernetesExecutorOptionsValidator : IValidateOptions<KubernetesExecutorOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesExecutorOptions o)
    {
        const string s = KubernetesExecutorOptions.Section;
        var problems = new List<string>();
        if (!DnsLabel().IsMatch(o.Namespace ?? ""))
            problems.Add($"{s}:Namespace '{o.Namespace}' is not a namespace name (lowercase letters, digits and '-', at most 63)");
        if (!string.IsNullOrWhiteSpace(o.ApiServer) &&
            !(Uri.TryCreate(o.ApiServer, UriKind.Absolute, out var api) && api.Scheme is "http" or "https"))
            problems.Add($"{s}:ApiServer '{o.ApiServer}' is not an http(s) URL");
        foreach (var (worker, node) in o.Nodes)
            if (string.IsNullOrWhiteSpace(node)) problems.Add($"{s}:Nodes:{worker} must name a node");
        var seen = new HashSet<string>();
        for (var i = 0; i < o.Engines.Count; i++)
        {
            var e = o.Engines[i];
            var where = $"{s}:Engines:{i}";
            if (string.IsNullOrWhiteSpace(e.Engine)) problems.Add($"{where}:Engine must not be empty");
            else if (!seen.Add(e.Engine)) problems.Add($"{where}: engine '{e.Engine}' is listed twice");
            if (string.IsNullOrWhiteSpace(e.Image)) problems.Add($"{where}:Image must not be empty (engine '{e.Engine}')");
            foreach (var part in e.Command.Concat(e.Args))
                foreach (Match m in Placeholder().Matches(part))
                    if (!EngineImage.Placeholders.Contains(m.Groups[1].Value))
                        problems.Add($"{where}: unknown placeholder '{m.Value}' in '{part}'; known: {string.Join(", ", EngineImage.Placeholders.Select(p => $"{{{p}}}"))}");
        }
        if (o.ImagePullPolicy is { Length: > 0 } pull && pull is not ("Always" or "IfNotPresent" or "Never"))
            problems.Add($"{s}:ImagePullPolicy '{pull}' must be Always, IfNotPresent or Never");
        if (o.DeleteGracePeriodSeconds < 0) problems.Add($"{s}:DeleteGracePeriodSeconds must not be negative");
        if (o.PendingTimeout <= TimeSpan.Zero) problems.Add($"{s}:PendingTimeout must be positive");
        if (o.ApiRetries < 0) problems.Add($"{s}:ApiRetries must not be negative");
        foreach (var (setting, value) in new[] { ("ApiRetryDelay", o.ApiRetryDelay), ("ApiTimeout", o.ApiTimeout), ("WatchTimeout", o.WatchTimeout),
                     ("WatchRetryDelay", o.WatchRetryDelay), ("WatchRetryMaxDelay", o.WatchRetryMaxDelay) })
            if (value <= TimeSpan.Zero) problems.Add($"{s}:{setting} must be positive, got {value}");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    internal static partial Regex Placeholder();
}
