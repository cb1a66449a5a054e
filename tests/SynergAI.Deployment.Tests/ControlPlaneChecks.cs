using Microsoft.Extensions.Configuration;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s.Models;

namespace SynergAI.Deployment.Tests;

/// <summary>What must hold across the control plane's manifests. Each check returns its problems in words (empty = fine),
/// so the tests can show that a broken manifest is caught, not only that the committed one passes.</summary>
internal static class ControlPlaneChecks
{
    static readonly string[] JobPodVerbs = ["create", "get", "list", "watch", "delete"];

    public static IEnumerable<string> ReplicasAndRollout(V1Deployment silo)
    {
        if (silo.Spec.Replicas != 3) yield return $"replicas {silo.Spec.Replicas?.ToString() ?? "unset"}, expected 3";
        var strategy = silo.Spec.Strategy;
        if (strategy?.Type != "RollingUpdate") yield return $"strategy {strategy?.Type ?? "unset"}, expected RollingUpdate";
        // A rolling update must add a silo before it removes one: the cluster never runs short.
        var maxUnavailable = strategy?.RollingUpdate?.MaxUnavailable?.Value;
        if (maxUnavailable is not ("0" or "0%")) yield return $"rollingUpdate.maxUnavailable {maxUnavailable ?? "unset (default 25%)"}, expected 0";
    }

    public static IEnumerable<string> Probes(V1Deployment silo)
    {
        var container = silo.Spec.Template.Spec.Containers.Single();
        var httpPort = EnvValue(container, "ASPNETCORE_HTTP_PORTS", null);
        foreach (var (kind, probe, path) in new[] { ("readiness", container.ReadinessProbe, "/health/ready"), ("liveness", container.LivenessProbe, "/health/live") })
        {
            if (probe?.HttpGet is not { } get) { yield return $"{kind} probe: none, or not an HTTP GET"; continue; }
            if (get.Path != path) yield return $"{kind} probe: path {get.Path}, expected {path}";
            var port = ContainerPort(container, get.Port);
            if (port is null) yield return $"{kind} probe: port {get.Port?.Value} is not a port the container declares";
            // The probe must reach the port Kestrel listens on (ASPNETCORE_HTTP_PORTS), not just any declared port.
            else if (httpPort is not null && port.ContainerPort.ToString(CultureInfo.InvariantCulture) != httpPort)
                yield return $"{kind} probe: port {port.ContainerPort}, but the silo's HTTP server listens on {httpPort} (ASPNETCORE_HTTP_PORTS)";
        }
        if (httpPort is null) yield return "ASPNETCORE_HTTP_PORTS not set: the probes' port is not tied to the port the silo listens on";
    }

    /// <summary>Kubernetes kills the pod when the grace period ends; the silo must have finished its own orderly shutdown
    /// (Orleans:ShutdownTimeout, the host's shutdown timeout) before that.</summary>
    public static IEnumerable<string> GracefulShutdown(V1Deployment silo)
    {
        var container = silo.Spec.Template.Spec.Containers.Single();
        var configured = EnvValue(container, "Orleans__ShutdownTimeout", null);
        if (configured is null || !TimeSpan.TryParse(configured, CultureInfo.InvariantCulture, out var timeout))
        {
            yield return $"Orleans__ShutdownTimeout is '{configured ?? "unset"}': the host's shutdown timeout must be set explicitly as a TimeSpan";
            yield break;
        }
        var grace = silo.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30;
        if (grace <= timeout.TotalSeconds)
            yield return $"terminationGracePeriodSeconds {grace} is not longer than Orleans__ShutdownTimeout {timeout.TotalSeconds} s";
    }

    public static IEnumerable<string> PodIdentity(V1Deployment silo)
    {
        var container = silo.Spec.Template.Spec.Containers.Single();
        foreach (var (env, field) in new[]
                 {
                     ("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP"),
                     // Other silos and clients dial the pod IP; the pod name identifies the silo in the membership table.
                     ("Orleans__AdvertisedIPAddress", "status.podIP"), ("Orleans__SiloName", "metadata.name"),
                 })
        {
            var actual = container.Env?.FirstOrDefault(e => e.Name == env)?.ValueFrom?.FieldRef?.FieldPath;
            if (actual != field) yield return $"{env}: from {actual ?? "nothing"} (downward API), expected {field}";
        }
        foreach (var setting in new[] { "Orleans__ClusterId", "Orleans__ServiceId" })
            if (string.IsNullOrWhiteSpace(EnvValue(container, setting, null))) yield return $"{setting} not set";
        // The silo and gateway ports the silo is told to use must be ports the container declares.
        foreach (var (setting, portName) in new[] { ("Orleans__SiloPort", "silo"), ("Orleans__GatewayPort", "gateway") })
        {
            var declared = container.Ports?.FirstOrDefault(p => p.Name == portName)?.ContainerPort;
            var configured = EnvValue(container, setting, null);
            if (declared is null || configured != declared.Value.ToString(CultureInfo.InvariantCulture))
                yield return $"{setting} is {configured ?? "unset"} but the container port named '{portName}' is {declared?.ToString(CultureInfo.InvariantCulture) ?? "missing"}";
        }
        if (EnvValue(container, "Orleans__ListenOnAnyHostAddress", null) != "true")
            yield return "Orleans__ListenOnAnyHostAddress is not true: kubectl port-forward (which dials the pod's localhost) would not reach the gateway";
    }

    public static IEnumerable<string> Selectors(ControlPlaneManifests k8s)
    {
        var silo = k8s.Silo;
        var podLabels = silo.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>();
        if (silo.Spec.Selector?.MatchExpressions is { Count: > 0 }) yield return "the Deployment's selector uses matchExpressions; keep it to matchLabels";
        foreach (var problem in Unmatched("Deployment selector", silo.Spec.Selector?.MatchLabels, podLabels)) yield return problem;

        var services = k8s.OfType<V1Service>().Where(s => s.Metadata.NamespaceProperty == silo.Metadata.NamespaceProperty).ToList();
        if (services.Count == 0) yield return "no Service in the silos' namespace";
        foreach (var service in services)
            foreach (var problem in Unmatched($"Service {service.Metadata.Name} selector", service.Spec.Selector, podLabels)) yield return problem;

        var budgets = k8s.OfType<V1PodDisruptionBudget>().Where(b => b.Metadata.NamespaceProperty == silo.Metadata.NamespaceProperty).ToList();
        if (budgets.Count == 0) yield return "no PodDisruptionBudget for the silos";
        foreach (var budget in budgets)
        {
            foreach (var problem in Unmatched($"PodDisruptionBudget {budget.Metadata.Name} selector", budget.Spec.Selector?.MatchLabels, podLabels)) yield return problem;
            // A budget that allows no disruption at all blocks every node drain.
            if (budget.Spec.MaxUnavailable?.Value is "0" || budget.Spec.MinAvailable?.Value == silo.Spec.Replicas?.ToString(CultureInfo.InvariantCulture))
                yield return $"PodDisruptionBudget {budget.Metadata.Name} allows no silo to be drained";
        }
    }

    /// <summary>A selector selects the pods only if every one of its labels is on the pod template, with the same value.</summary>
    static IEnumerable<string> Unmatched(string what, IDictionary<string, string>? selector, IDictionary<string, string> podLabels)
    {
        if (selector is null || selector.Count == 0) { yield return $"{what}: empty (would select every pod, or none)"; yield break; }
        foreach (var (key, value) in selector)
            if (!podLabels.TryGetValue(key, out var podValue) || podValue != value)
                yield return $"{what}: {key}={value} is not on the silo pods (they have {key}={podValue ?? "nothing"})";
    }

    public static IEnumerable<string> GatewayService(ControlPlaneManifests k8s)
    {
        var container = k8s.SiloContainer;
        var gateway = container.Ports?.FirstOrDefault(p => p.Name == "gateway");
        // A Service port without targetPort forwards to the same port number.
        var exposing = k8s.OfType<V1Service>().Where(s => s.Spec.Ports?.Any(p =>
            (p.TargetPort is null ? container.Ports?.FirstOrDefault(c => c.ContainerPort == p.Port) : ContainerPort(container, p.TargetPort)) == gateway) == true);
        if (gateway is null || !exposing.Any()) yield return "no Service forwards to the silo's gateway port";
    }

    public static IEnumerable<string> Resources(V1Deployment silo)
    {
        foreach (var container in silo.Spec.Template.Spec.Containers)
            foreach (var resource in new[] { "cpu", "memory" })
            {
                ResourceQuantity? request = null, limit = null;
                if (container.Resources?.Requests?.TryGetValue(resource, out request) != true) yield return $"{container.Name}: no {resource} request";
                if (container.Resources?.Limits?.TryGetValue(resource, out limit) != true) yield return $"{container.Name}: no {resource} limit";
                if (request is not null && limit is not null && request.ToDecimal() > limit.ToDecimal())
                    yield return $"{container.Name}: {resource} request {request} above its limit {limit}";
            }
    }

    public static IEnumerable<string> ServiceAccount(ControlPlaneManifests k8s)
    {
        var silo = k8s.Silo;
        var name = silo.Spec.Template.Spec.ServiceAccountName;
        if (string.IsNullOrWhiteSpace(name)) { yield return "serviceAccountName not set: the silo would run as 'default', which the Role is not bound to"; yield break; }
        if (k8s.Find<V1ServiceAccount>(name, silo.Metadata.NamespaceProperty) is null)
            yield return $"ServiceAccount {name} is not among the manifests of namespace {silo.Metadata.NamespaceProperty}";
    }

    /// <summary>The executor's rights: create, get, list, watch and delete pods in the jobs namespace, and nothing else
    /// (no other resource, verb or namespace, no cluster-wide role).</summary>
    public static IEnumerable<string> JobPodRights(ControlPlaneManifests k8s)
    {
        foreach (var m in k8s.All.Where(m => m.Object is V1ClusterRole or V1ClusterRoleBinding))
            yield return $"{m.File}: {m.Object.Kind} {m.Object.Metadata.Name}: the silo needs no cluster-wide rights";
        var roles = k8s.OfType<V1Role>().ToList();
        if (roles.Count != 1) yield return $"{roles.Count} Roles, expected exactly one (the job pods' Role)";
        foreach (var role in roles)
        {
            if (role.Metadata.NamespaceProperty != ControlPlaneManifests.JobsNamespace)
                yield return $"Role {role.Metadata.Name} is in namespace {role.Metadata.NamespaceProperty ?? "unset"}, expected {ControlPlaneManifests.JobsNamespace}";
            foreach (var rule in role.Rules ?? [])
            {
                if (rule.ApiGroups?.SequenceEqual([""]) != true) yield return $"Role {role.Metadata.Name}: apiGroups [{string.Join(", ", rule.ApiGroups ?? [])}], expected only the core group \"\"";
                if (rule.Resources?.SequenceEqual(["pods"]) != true) yield return $"Role {role.Metadata.Name}: resources [{string.Join(", ", rule.Resources ?? [])}], expected only pods";
                var verbs = rule.Verbs ?? [];
                if (verbs.Count != verbs.Distinct().Count() || !verbs.ToHashSet().SetEquals(JobPodVerbs))
                    yield return $"Role {role.Metadata.Name}: verbs [{string.Join(", ", verbs)}], expected exactly [{string.Join(", ", JobPodVerbs)}]";
                if (rule.NonResourceURLs is { Count: > 0 }) yield return $"Role {role.Metadata.Name}: nonResourceURLs granted";
            }
            if (role.Rules is not { Count: 1 }) yield return $"Role {role.Metadata.Name}: {role.Rules?.Count ?? 0} rules, expected one";

            var bindings = k8s.OfType<V1RoleBinding>().Where(b => b.RoleRef.Kind == "Role" && b.RoleRef.Name == role.Metadata.Name).ToList();
            if (bindings.Count == 0) yield return $"Role {role.Metadata.Name} is bound to nobody";
            var silo = k8s.Silo;
            foreach (var binding in bindings)
            {
                if (binding.Metadata.NamespaceProperty != role.Metadata.NamespaceProperty)
                    yield return $"RoleBinding {binding.Metadata.Name} is in {binding.Metadata.NamespaceProperty}, its Role in {role.Metadata.NamespaceProperty}";
                if (binding.RoleRef.ApiGroup != "rbac.authorization.k8s.io") yield return $"RoleBinding {binding.Metadata.Name}: roleRef.apiGroup {binding.RoleRef.ApiGroup}";
                var subjects = binding.Subjects ?? [];
                if (subjects.Count != 1 || subjects[0] is not { Kind: "ServiceAccount" } subject
                    || subject.Name != silo.Spec.Template.Spec.ServiceAccountName || subject.NamespaceProperty != silo.Metadata.NamespaceProperty)
                    yield return $"RoleBinding {binding.Metadata.Name} binds [{string.Join(", ", subjects.Select(s => $"{s.Kind} {s.NamespaceProperty}/{s.Name}"))}], " +
                                 $"expected only ServiceAccount {silo.Metadata.NamespaceProperty}/{silo.Spec.Template.Spec.ServiceAccountName}";
            }
        }
    }

    /// <summary>Every Secret and ConfigMap the silo pods use exists in their namespace, with the keys they read.</summary>
    public static IEnumerable<string> References(ControlPlaneManifests k8s)
    {
        var silo = k8s.Silo;
        var ns = silo.Metadata.NamespaceProperty;
        var pod = silo.Spec.Template.Spec;
        foreach (var container in pod.Containers)
        {
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.SecretKeyRef is { } s && SecretKeys(k8s, s.Name, ns) is var secretKeys && !secretKeys.Contains(s.Key))
                    yield return $"{env.Name}: Secret {s.Name} with key {s.Key} not found in namespace {ns}";
                if (env.ValueFrom?.ConfigMapKeyRef is { } c && k8s.Find<V1ConfigMap>(c.Name, ns)?.Data?.ContainsKey(c.Key) != true)
                    yield return $"{env.Name}: ConfigMap {c.Name} with key {c.Key} not found in namespace {ns}";
            }
            foreach (var source in container.EnvFrom ?? [])
            {
                if (source.ConfigMapRef is { } c && k8s.Find<V1ConfigMap>(c.Name, ns) is null) yield return $"envFrom: ConfigMap {c.Name} not found";
                if (source.SecretRef is { } s && k8s.Find<V1Secret>(s.Name, ns) is null) yield return $"envFrom: Secret {s.Name} not found";
            }
            foreach (var mount in container.VolumeMounts ?? [])
                if (pod.Volumes?.Any(v => v.Name == mount.Name) != true) yield return $"volumeMount {mount.Name}: no such volume";
        }
        foreach (var volume in pod.Volumes ?? [])
        {
            if (volume.ConfigMap is { } c)
            {
                var data = k8s.Find<V1ConfigMap>(c.Name, ns)?.Data;
                if (data is null) yield return $"volume {volume.Name}: ConfigMap {c.Name} not found in namespace {ns}";
                else foreach (var item in c.Items ?? [])
                    if (!data.ContainsKey(item.Key)) yield return $"volume {volume.Name}: ConfigMap {c.Name} has no key {item.Key}";
            }
            if (volume.Secret is { } s && k8s.Find<V1Secret>(s.SecretName, ns) is null)
                yield return $"volume {volume.Name}: Secret {s.SecretName} not found in namespace {ns}";
        }
    }

    static HashSet<string> SecretKeys(ControlPlaneManifests k8s, string name, string? ns)
    {
        var secret = k8s.Find<V1Secret>(name, ns);
        return [.. secret?.StringData?.Keys ?? [], .. secret?.Data?.Keys ?? []];
    }

    /// <summary>The testbed the silo registers: <c>SynergAI__Testbed</c> is the folder where the testbed ConfigMap is
    /// mounted, and that ConfigMap's files are the reference testbed's, byte for byte.</summary>
    public static IEnumerable<string> Testbed(ControlPlaneManifests k8s)
    {
        var container = k8s.SiloContainer;
        var folder = EnvValue(container, "SynergAI__Testbed", k8s);
        var mounted = MountedConfigMap(k8s.Silo, folder);
        if (mounted != ControlPlaneManifests.TestbedConfigMap)
            yield return $"SynergAI__Testbed is '{folder ?? "unset"}', where {(mounted is null ? "no ConfigMap" : $"ConfigMap {mounted}")} is mounted; expected the mount of {ControlPlaneManifests.TestbedConfigMap}";
        var data = k8s.Find<V1ConfigMap>(ControlPlaneManifests.TestbedConfigMap, ControlPlaneManifests.ControlPlaneNamespace)?.Data;
        foreach (var file in new[] { "workers.csv", "profile.csv" })
        {
            if (data is null || !data.TryGetValue(file, out var text)) { yield return $"ConfigMap {ControlPlaneManifests.TestbedConfigMap} has no {file}"; continue; }
            var reference = Repository.ReadBytes($"Scheduling/Testbeds/reference/{file}");
            var shipped = Encoding.UTF8.GetBytes(text);
            if (!shipped.AsSpan().SequenceEqual(reference))
            {
                var at = Enumerable.Range(0, Math.Min(shipped.Length, reference.Length)).FirstOrDefault(i => shipped[i] != reference[i], Math.Min(shipped.Length, reference.Length));
                yield return $"ConfigMap {ControlPlaneManifests.TestbedConfigMap} {file} differs from Scheduling/Testbeds/reference/{file} at byte {at} " +
                             $"({shipped.Length} bytes against {reference.Length})";
            }
        }
    }

    /// <summary>The Kubernetes executor's settings as the silo will read them: executor <c>kubernetes</c>, the jobs
    /// namespace the Role covers, and section <c>SynergAI:Kubernetes</c> from the mounted JSON file with a node for every
    /// worker, an image for every engine of the testbed, and the power-mode image.</summary>
    public static IEnumerable<string> Executor(ControlPlaneManifests k8s)
    {
        var container = k8s.SiloContainer;
        if (EnvValue(container, "SynergAI__Executor", k8s) != "kubernetes") yield return "SynergAI__Executor does not resolve to 'kubernetes'";
        var jobs = EnvValue(container, "SynergAI__Kubernetes__Namespace", k8s);
        if (jobs != ControlPlaneManifests.JobsNamespace) yield return $"SynergAI__Kubernetes__Namespace resolves to '{jobs}', expected {ControlPlaneManifests.JobsNamespace}";
        if (k8s.Find<V1Namespace>(ControlPlaneManifests.JobsNamespace, null) is null) yield return $"Namespace {ControlPlaneManifests.JobsNamespace} is not created";

        var settingsFile = EnvValue(container, "SynergAI__SettingsFile", k8s);
        var fileName = settingsFile is null ? null : Path.GetFileName(settingsFile);
        var configMap = MountedConfigMap(k8s.Silo, settingsFile is null ? null : Path.GetDirectoryName(settingsFile));
        var json = configMap is null || fileName is null ? null : KeyOfMountedFile(k8s, configMap, fileName);
        if (json is null) { yield return $"SynergAI__SettingsFile '{settingsFile}' is not a file of a mounted ConfigMap"; yield break; }

        JsonElement section;
        string? problem = null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            section = doc.RootElement.GetProperty("SynergAI").GetProperty("Kubernetes").Clone();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            section = default;
            problem = $"{fileName}: no readable section SynergAI:Kubernetes ({e.Message})";
        }
        if (problem is not null) { yield return problem; yield break; }

        var workers = CsvColumn(Repository.ReadText("Scheduling/Testbeds/reference/workers.csv"), 0);
        var engines = CsvColumn(Repository.ReadText("Scheduling/Testbeds/reference/profile.csv"), 1);
        var nodes = section.TryGetProperty("Nodes", out var n) && n.ValueKind == JsonValueKind.Object
            ? n.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() != "").Select(p => p.Name).ToHashSet()
            : [];
        foreach (var worker in workers.Where(w => !nodes.Contains(w))) yield return $"{fileName}: Nodes has no node for worker {worker}";

        var images = new HashSet<string>();
        foreach (var engine in section.TryGetProperty("Engines", out var e) && e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : Enumerable.Empty<JsonElement>())
        {
            var name = engine.TryGetProperty("Engine", out var en) ? en.GetString() : null;
            if (!engine.TryGetProperty("Image", out var image) || string.IsNullOrWhiteSpace(image.GetString())) yield return $"{fileName}: engine {name} has no Image";
            foreach (var list in new[] { "Command", "Args" })
                if (!engine.TryGetProperty(list, out var items) || items.ValueKind != JsonValueKind.Array || items.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String))
                    yield return $"{fileName}: engine {name}: {list} is not a list of strings";
            if (name is not null && !images.Add(name)) yield return $"{fileName}: engine {name} listed twice";
        }
        foreach (var engine in engines.Where(en => !images.Contains(en))) yield return $"{fileName}: Engines has no image for engine {engine}";
        if (!section.TryGetProperty("PowerModeImage", out var power) || string.IsNullOrWhiteSpace(power.GetString())) yield return $"{fileName}: no PowerModeImage";

        // What the silo itself will say of it at start-up: bound and validated exactly as the executor's settings are.
        var options = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build()
            .GetSection("SynergAI:Kubernetes").Get<SynergAI.Grains.Execution.Kubernetes.KubernetesExecutorOptions>() ?? new();
        foreach (var failure in new SynergAI.Grains.Execution.Kubernetes.KubernetesExecutorOptionsValidator().Validate(null, options).Failures ?? [])
            yield return $"{fileName}: the executor rejects it: {failure}";
        if (!options.Engines.All(en => en.Args.Concat(en.Command).Any(a => a.Contains("{queries}"))))
            yield return $"{fileName}: every engine's Command or Args must pass the job's query count ({{queries}})";
    }

    static IReadOnlySet<string> CsvColumn(string csv, int column) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(',')[column]).ToHashSet();

    /// <summary>The value a container's variable will have: literal, or read from a ConfigMap or Secret of the manifests;
    /// null when unset or set by the downward API.</summary>
    public static string? EnvValue(V1Container container, string name, ControlPlaneManifests? k8s)
    {
        var env = container.Env?.LastOrDefault(e => e.Name == name);
        if (env is null) return null;
        if (env.ValueFrom is null) return env.Value;
        if (k8s is null) return null;
        if (env.ValueFrom.ConfigMapKeyRef is { } c)
            return k8s.OfType<V1ConfigMap>().FirstOrDefault(m => m.Metadata.Name == c.Name)?.Data?.TryGetValue(c.Key, out var v) == true ? v : null;
        if (env.ValueFrom.SecretKeyRef is { } s)
            return k8s.OfType<V1Secret>().FirstOrDefault(m => m.Metadata.Name == s.Name)?.StringData?.TryGetValue(s.Key, out var v) == true ? v : null;
        return null;
    }

    /// <summary>The ConfigMap mounted at exactly <paramref name="folder"/> in the silo container, if any.</summary>
    static string? MountedConfigMap(V1Deployment silo, string? folder)
    {
        if (folder is null) return null;
        var container = silo.Spec.Template.Spec.Containers.Single();
        var mount = container.VolumeMounts?.FirstOrDefault(m => m.MountPath.TrimEnd('/') == folder.TrimEnd('/') && m.SubPath is null);
        return silo.Spec.Template.Spec.Volumes?.FirstOrDefault(v => v.Name == mount?.Name)?.ConfigMap?.Name;
    }

    /// <summary>The content of the file <paramref name="fileName"/> in a mounted ConfigMap (honouring <c>items</c>).</summary>
    static string? KeyOfMountedFile(ControlPlaneManifests k8s, string configMap, string fileName)
    {
        var volume = k8s.Silo.Spec.Template.Spec.Volumes?.First(v => v.ConfigMap?.Name == configMap);
        var key = volume?.ConfigMap.Items is { Count: > 0 } items ? items.FirstOrDefault(i => i.Path == fileName)?.Key : fileName;
        var data = k8s.Find<V1ConfigMap>(configMap, k8s.Silo.Metadata.NamespaceProperty)?.Data;
        return key is not null && data?.TryGetValue(key, out var text) == true ? text : null;
    }

    /// <summary>The container port a probe or Service names (by port name or number), or null if it declares none such.</summary>
    public static V1ContainerPort? ContainerPort(V1Container container, IntOrString? port) =>
        port?.Value is not { } value ? null
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? container.Ports?.FirstOrDefault(p => p.ContainerPort == number)
            : container.Ports?.FirstOrDefault(p => p.Name == value);
}
