using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace SynergAI.Grains.Execution.Kubernetes;

/// <summary>
/// The pod of one dispatched attempt, as a pure function of the dispatch and the settings: named deterministically from
/// job id and attempt (so a retried create can never make a second pod), pinned to the worker's node by a required node
/// affinity, with the configuration applied (<c>threads=N</c>: thread variables and N CPUs; <c>mode=M</c>: a power-mode
/// init container).
/// </summary>
public static class JobPod
{
    public const string AppLabel = "app";
    public const string AppName = "synergai-job";
    /// <summary>Selects every job pod (the executor lists and watches these).</summary>
    public const string Selector = $"{AppLabel}={AppName}";

    const string Prefix = "synergai.io/";
    public const string JobKey = Prefix + "job";
    public const string AttemptKey = Prefix + "attempt";
    public const string WorkerKey = Prefix + "worker";
    public const string NodeKey = Prefix + "node";
    public const string EngineKey = Prefix + "engine";
    public const string ConfigurationKey = Prefix + "configuration";
    public const string PoolKey = Prefix + "pool";
    public const string QueriesKey = Prefix + "queries";
    public const string EstimateSecondsKey = Prefix + "estimate-seconds";
    public const string TimeScaleKey = Prefix + "time-scale";
    public const string DecidedAtKey = Prefix + "decided-at";

    public const string EngineContainer = "engine";
    public const string PowerModeContainer = "power-mode";

    /// <summary>Set to the thread count of a <c>threads=N</c> configuration, besides the configured extra ones:
    /// OpenMP (ONNX Runtime's OpenMP builds, PyTorch), MKL/oneDNN, TensorFlow's intra-op pool, and our own for engines
    /// that take the count as a flag (or use the <c>{threads}</c> placeholder).</summary>
    public static readonly IReadOnlyList<string> ThreadVariables = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "SYNERGAI_THREADS"];

    /// <summary>Runs in the privileged init container: switches the board to mode <c>$SYNERGAI_POWER_MODE</c> unless
    /// <c>nvpmodel -q</c> (whose last line is the current mode's number) says it is in that mode already.</summary>
    public const string PowerModeScript =
        """
        current="$(nvpmodel -q 2>/dev/null | tail -n 1 | tr -d '[:space:]')"
        if [ "$current" = "$SYNERGAI_POWER_MODE" ]; then
          echo "power mode $SYNERGAI_POWER_MODE already set: nothing to do"
          exit 0
        fi
        echo "power mode ${current:-unknown} -> $SYNERGAI_POWER_MODE"
        exec nvpmodel -m "$SYNERGAI_POWER_MODE"
        """;

    /// <summary>DNS-1123 pod name, at most 63 characters: <c>synergai-{job, sanitised, shortened}-{attempt}-{hash}</c>;
    /// the hash (of the exact job id and attempt) keeps names apart that sanitising or shortening made equal.</summary>
    public static string Name(string job, int attempt)
    {
        var hash = Hash($"{job}\n{attempt}");
        var tail = $"-{attempt}-{hash}";
        var slug = Sanitize(job.ToLowerInvariant(), allowed: c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-');
        var room = 63 - "synergai-".Length - tail.Length;
        slug = slug.Length > room ? slug[..room].TrimEnd('-') : slug;
        return slug.Length == 0 ? $"synergai{tail}" : $"synergai-{slug}{tail}";
    }

    /// <summary>A valid label value (at most 63 of <c>[A-Za-z0-9-_.]</c>, alphanumeric at both ends): invalid characters
    /// become '-', and a value that had to be shortened ends in a hash. The exact value is in the annotations.</summary>
    public static string LabelValue(string value)
    {
        var clean = Sanitize(value, allowed: c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        return clean.Length <= 63 ? clean : $"{clean[..52].TrimEnd('-', '_', '.')}-{Hash(value)}";
    }

    /// <summary>The worker's node: its entry in <see cref="KubernetesExecutorOptions.Nodes"/>, else its own name.</summary>
    public static string NodeOf(string worker, KubernetesExecutorOptions options) =>
        options.Nodes.TryGetValue(worker, out var node) && !string.IsNullOrWhiteSpace(node) ? node : worker;

    /// <summary>The engine's image and command line; throws if the engine has none (the attempt then fails to start).</summary>
    public static EngineImage EngineOf(string engine, KubernetesExecutorOptions options) =>
        options.Engines.FirstOrDefault(e => e.Engine == engine)
        ?? throw new InvalidOperationException($"no image for engine '{engine}' in {KubernetesExecutorOptions.Section}:Engines");

    public static V1Pod Build(Dispatch dispatch, KubernetesExecutorOptions options)
    {
        var engine = EngineOf(dispatch.Engine, options);
        var node = NodeOf(dispatch.Worker, options);
        var configuration = ConfigurationSettings.Parse(dispatch.Config);
        if (configuration.Mode is not null && string.IsNullOrWhiteSpace(options.PowerModeImage))
            throw new InvalidOperationException(
                $"configuration '{dispatch.Config}' of worker '{dispatch.Worker}' sets a power mode, but {KubernetesExecutorOptions.Section}:PowerModeImage is empty");

        var values = new Dictionary<string, string>
        {
            ["job"] = dispatch.Job,
            ["attempt"] = dispatch.Attempt.ToString(CultureInfo.InvariantCulture),
            ["engine"] = dispatch.Engine,
            ["queries"] = dispatch.Queries.ToString(CultureInfo.InvariantCulture),
            ["config"] = dispatch.Config,
            ["threads"] = configuration.Threads?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["mode"] = configuration.Mode ?? "",
            ["worker"] = dispatch.Worker,
            ["node"] = node,
            ["estimate_seconds"] = dispatch.EstimateSeconds.ToString("R", CultureInfo.InvariantCulture),
            ["time_scale"] = dispatch.TimeScale.ToString("R", CultureInfo.InvariantCulture),
        };
        string Fill(string part) => KubernetesExecutorOptionsValidator.Placeholder()
            .Replace(part, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

        var env = new List<V1EnvVar>
        {
            Env("SYNERGAI_JOB", dispatch.Job),
            Env("SYNERGAI_ATTEMPT", values["attempt"]),
            Env("SYNERGAI_ENGINE", dispatch.Engine),
            Env("SYNERGAI_QUERIES", values["queries"]),
            Env("SYNERGAI_CONFIG", dispatch.Config),
        };
        V1ResourceRequirements? resources = null;
        if (configuration.Threads is { } threads)
        {
            env.AddRange(ThreadVariables.Concat(options.ThreadVariables).Distinct().Select(v => Env(v, values["threads"])));
            // Request = limit: the pod is Guaranteed for CPU, and with the static CPU manager gets N whole cores.
            var cpus = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(values["threads"]) };
            resources = new V1ResourceRequirements { Requests = cpus, Limits = new Dictionary<string, ResourceQuantity>(cpus) };
        }
        env.AddRange(engine.Env.Select(kv => Env(kv.Key, kv.Value)));

        var pullPolicy = string.IsNullOrWhiteSpace(options.ImagePullPolicy) ? null : options.ImagePullPolicy;
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = Name(dispatch.Job, dispatch.Attempt),
                NamespaceProperty = options.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [AppLabel] = AppName,
                    [JobKey] = LabelValue(dispatch.Job),
                    [AttemptKey] = values["attempt"],
                    [WorkerKey] = LabelValue(dispatch.Worker),
                    [EngineKey] = LabelValue(dispatch.Engine),
                    [ConfigurationKey] = LabelValue(dispatch.Config),
                },
                Annotations = new Dictionary<string, string>
                {
                    [JobKey] = dispatch.Job,
                    [AttemptKey] = values["attempt"],
                    [WorkerKey] = dispatch.Worker,
                    [NodeKey] = node,
                    [EngineKey] = dispatch.Engine,
                    [ConfigurationKey] = dispatch.Config,
                    [PoolKey] = dispatch.Pool,
                    [QueriesKey] = values["queries"],
                    [EstimateSecondsKey] = values["estimate_seconds"],
                    [TimeScaleKey] = values["time_scale"],
                    [DecidedAtKey] = dispatch.DecidedAt.ToString("O", CultureInfo.InvariantCulture),
                },
            },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never", // one attempt = one run; retries are the scheduler's decision, on any worker
                AutomountServiceAccountToken = false,
                ServiceAccountName = string.IsNullOrWhiteSpace(options.ServiceAccountName) ? null : options.ServiceAccountName,
                Affinity = OnNode(node),
                Containers =
                [
                    new V1Container
                    {
                        Name = EngineContainer,
                        Image = engine.Image,
                        ImagePullPolicy = pullPolicy,
                        Command = engine.Command.Count == 0 ? null : [.. engine.Command.Select(Fill)],
                        Args = engine.Args.Count == 0 ? null : [.. engine.Args.Select(Fill)],
                        Env = env,
                        Resources = resources,
                    },
                ],
            },
        };
        if (configuration.Mode is { } mode) AddPowerMode(pod.Spec, mode, options.PowerModeImage!, pullPolicy);
        return pod;
    }

    /// <summary>Required node affinity on the node's name (<c>metadata.name</c>, not the hostname label, which may
    /// differ): unlike <c>spec.nodeName</c> it goes through the scheduler, so taints, cordons and CPU fit are honoured
    /// and a pod that does not fit yet waits Pending instead of failing the kubelet's admission (OutOfcpu).</summary>
    static V1Affinity OnNode(string node) => new()
    {
        NodeAffinity = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
            {
                NodeSelectorTerms =
                [
                    new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [node] }] },
                ],
            },
        },
    };

    /// <summary>nvpmodel needs the board's configuration and keeps its state under /var/lib/nvpmodel, both on the host.</summary>
    static void AddPowerMode(V1PodSpec spec, string mode, string image, string? pullPolicy)
    {
        spec.InitContainers =
        [
            new V1Container
            {
                Name = PowerModeContainer,
                Image = image,
                ImagePullPolicy = pullPolicy,
                Command = ["sh", "-c", PowerModeScript],
                Env = [Env("SYNERGAI_POWER_MODE", mode)],
                SecurityContext = new V1SecurityContext { Privileged = true }, // writes CPU/GPU clocks and online CPUs in /sys
                VolumeMounts =
                [
                    new V1VolumeMount { Name = "nvpmodel-conf", MountPath = "/etc/nvpmodel.conf", ReadOnlyProperty = true },
                    new V1VolumeMount { Name = "nvpmodel-state", MountPath = "/var/lib/nvpmodel" },
                ],
            },
        ];
        spec.Volumes =
        [
            new V1Volume { Name = "nvpmodel-conf", HostPath = new V1HostPathVolumeSource { Path = "/etc/nvpmodel.conf" } },
            new V1Volume { Name = "nvpmodel-state", HostPath = new V1HostPathVolumeSource { Path = "/var/lib/nvpmodel", Type = "DirectoryOrCreate" } },
        ];
    }

    static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    static string Sanitize(string value, Func<char, bool> allowed)
    {
        var b = new StringBuilder(value.Length);
        foreach (var c in value) b.Append(allowed(c) ? c : '-');
        var s = b.ToString();
        while (s.Contains("--")) s = s.Replace("--", "-");
        return s.Trim('-', '_', '.');
    }

    static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..10];
}

/// <summary>The parts of a configuration string the executor applies: <c>threads=N</c> and <c>mode=M</c> (several
/// <c>key=value</c> pairs may be joined with ','); anything else is only recorded in labels and annotations.</summary>
public sealed record ConfigurationSettings(int? Threads, string? Mode)
{
    public static ConfigurationSettings Parse(string config)
    {
        int? threads = null;
        string? mode = null;
        foreach (var pair in config.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (key, value) = pair.Split('=', 2, StringSplitOptions.TrimEntries) is [var k, var v] ? (k, v) : (pair, "");
            if (key == "threads" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) threads = n;
            else if (key == "mode" && value.Length > 0 && value.All(char.IsAsciiDigit)) mode = value;
        }
        return new ConfigurationSettings(threads, mode);
    }
}
