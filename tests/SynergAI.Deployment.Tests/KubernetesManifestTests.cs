using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace SynergAI.Deployment.Tests;

/// <summary>The control plane's manifests in <c>k8s/</c>, as committed.</summary>
public class KubernetesManifestTests
{
    readonly ControlPlaneManifests k8s = ControlPlaneManifests.Load();

    [Fact]
    public void Every_manifest_loads_as_typed_Kubernetes_objects()
    {
        var files = ControlPlaneManifests.ManifestFiles();
        Assert.NotEmpty(files);
        // Load() throws on an unknown apiVersion/kind or field; here: every file holds something, of a model type.
        foreach (var file in files) Assert.Contains(k8s.All, m => m.File == file);
        Assert.All(k8s.All, m =>
        {
            Assert.Equal("k8s.Models", m.Object.GetType().Namespace);
            Assert.False(string.IsNullOrWhiteSpace(m.Object.Metadata?.Name), $"{m.File}: a {m.Object.Kind} without a name");
        });
        var kinds = k8s.All.Select(m => m.Object.GetType()).ToHashSet();
        Assert.Superset(new HashSet<Type>
        {
            typeof(V1Namespace), typeof(V1ServiceAccount), typeof(V1Role), typeof(V1RoleBinding), typeof(V1Secret),
            typeof(V1ConfigMap), typeof(V1Deployment), typeof(V1Service), typeof(V1PodDisruptionBudget),
        }, kinds);
    }

    [Fact]
    public void Namespaced_objects_live_in_a_namespace_the_manifests_create()
    {
        var created = k8s.OfType<V1Namespace>().Select(n => n.Metadata.Name).ToHashSet();
        Assert.Equal(new HashSet<string> { ControlPlaneManifests.ControlPlaneNamespace, ControlPlaneManifests.JobsNamespace }, created);
        foreach (var m in k8s.All.Where(m => m.Object is not (V1Namespace or V1ClusterRole or V1ClusterRoleBinding)))
            Assert.True(m.Object.Metadata.NamespaceProperty is { } ns && created.Contains(ns),
                $"{m.File}: {m.Object.Kind} {m.Object.Metadata.Name} has namespace '{m.Object.Metadata.NamespaceProperty}', which the manifests do not create");
    }

    [Fact]
    public void Kustomization_lists_every_manifest_and_only_existing_ones()
    {
        var root = (YamlMappingNode)LoadYaml($"{ControlPlaneManifests.Folder}/{ControlPlaneManifests.KustomizationFile}");
        var listed = ((YamlSequenceNode)root.Children[new YamlScalarNode("resources")]).Children
            .Select(n => $"{ControlPlaneManifests.Folder}/{((YamlScalarNode)n).Value}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ControlPlaneManifests.ManifestFiles(), listed);
    }

    [Fact]
    public void Silo_deployment_runs_three_replicas_and_rolls_without_losing_one() =>
        Assert.Empty(ControlPlaneChecks.ReplicasAndRollout(k8s.Silo));

    [Fact]
    public void Silo_probes_ask_the_health_endpoints_on_the_port_the_silo_listens_on() =>
        Assert.Empty(ControlPlaneChecks.Probes(k8s.Silo));

    [Fact]
    public void Silo_gets_longer_to_terminate_than_its_configured_shutdown_timeout() =>
        Assert.Empty(ControlPlaneChecks.GracefulShutdown(k8s.Silo));

    [Fact]
    public void Silo_advertises_its_pod_IP_and_names_itself_after_the_pod() =>
        Assert.Empty(ControlPlaneChecks.PodIdentity(k8s.Silo));

    [Fact]
    public void Deployment_Service_and_PodDisruptionBudget_select_the_silo_pods() =>
        Assert.Empty(ControlPlaneChecks.Selectors(k8s));

    [Fact]
    public void Gateway_Service_forwards_to_the_silo_gateway_port() =>
        Assert.Empty(ControlPlaneChecks.GatewayService(k8s));

    [Fact]
    public void Silo_declares_cpu_and_memory_requests_and_limits() =>
        Assert.Empty(ControlPlaneChecks.Resources(k8s.Silo));

    [Fact]
    public void Silo_runs_as_its_own_service_account() =>
        Assert.Empty(ControlPlaneChecks.ServiceAccount(k8s));

    [Fact]
    public void Silo_may_only_create_get_list_watch_and_delete_pods_in_the_jobs_namespace() =>
        Assert.Empty(ControlPlaneChecks.JobPodRights(k8s));

    [Fact]
    public void Every_Secret_and_ConfigMap_the_silo_reads_exists_with_its_keys() =>
        Assert.Empty(ControlPlaneChecks.References(k8s));

    [Fact]
    public void Connection_string_comes_from_the_Secret_whose_value_is_a_placeholder()
    {
        var env = k8s.SiloContainer.Env.Single(e => e.Name == "ConnectionStrings__Postgres");
        Assert.Null(env.Value);
        Assert.NotNull(env.ValueFrom?.SecretKeyRef);
        // The committed Secret is a template: a real password must never land in the repository.
        var value = ControlPlaneChecks.EnvValue(k8s.SiloContainer, "ConnectionStrings__Postgres", k8s);
        Assert.NotNull(value);
        Assert.Contains("REPLACE_ME", value);
    }

    [Fact]
    public void Testbed_ConfigMap_is_the_reference_testbed_mounted_where_SynergAI_Testbed_points() =>
        Assert.Empty(ControlPlaneChecks.Testbed(k8s));

    [Fact]
    public void Executor_settings_name_kubernetes_the_jobs_namespace_and_an_image_for_every_engine() =>
        Assert.Empty(ControlPlaneChecks.Executor(k8s));

    [Fact]
    public void Silo_container_ports_are_the_ones_the_silo_image_exposes()
    {
        var exposed = Dockerfile.Load("docker/Dockerfile.silo").Runtime.All("EXPOSE").SelectMany(e => e.Words).ToHashSet();
        Assert.All(k8s.SiloContainer.Ports, p => Assert.Contains(p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), exposed));
    }

    internal static YamlNode LoadYaml(string file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(Repository.ReadText(file)));
        return stream.Documents.Single().RootNode;
    }
}
