using k8s.Models;

namespace SynergAI.Deployment.Tests;

/// <summary>The checks catch what they are for: each test breaks one thing in freshly loaded manifests and expects
/// the check that guards it to complain.</summary>
public class BrokenManifestTests
{
    readonly ControlPlaneManifests k8s = ControlPlaneManifests.Load();

    [Fact]
    public void A_rollout_that_may_take_a_silo_down_first_is_caught()
    {
        k8s.Silo.Spec.Strategy.RollingUpdate.MaxUnavailable = "1";
        Assert.Contains(ControlPlaneChecks.ReplicasAndRollout(k8s.Silo), p => p.Contains("maxUnavailable"));
    }

    [Fact]
    public void A_grace_period_shorter_than_the_shutdown_timeout_is_caught()
    {
        k8s.Silo.Spec.Template.Spec.TerminationGracePeriodSeconds = 60;
        Assert.NotEmpty(ControlPlaneChecks.GracefulShutdown(k8s.Silo));
    }

    [Fact]
    public void A_readiness_probe_on_the_wrong_path_or_an_undeclared_port_is_caught()
    {
        var probe = k8s.SiloContainer.ReadinessProbe.HttpGet;
        probe.Path = "/health/live";
        Assert.Contains(ControlPlaneChecks.Probes(k8s.Silo), p => p.Contains("path"));
        probe.Path = "/health/ready";
        probe.Port = "metrics";
        Assert.Contains(ControlPlaneChecks.Probes(k8s.Silo), p => p.Contains("port"));
    }

    [Fact]
    public void An_advertised_address_other_than_the_pod_IP_is_caught()
    {
        k8s.SiloContainer.Env.Single(e => e.Name == "Orleans__AdvertisedIPAddress").ValueFrom.FieldRef.FieldPath = "status.hostIP";
        Assert.Contains(ControlPlaneChecks.PodIdentity(k8s.Silo), p => p.Contains("Orleans__AdvertisedIPAddress"));
    }

    [Fact]
    public void A_Service_selecting_a_label_the_pods_lack_is_caught()
    {
        k8s.OfType<V1Service>().First().Spec.Selector["app.kubernetes.io/name"] = "synergai";
        Assert.Contains(ControlPlaneChecks.Selectors(k8s), p => p.Contains("Service"));
    }

    [Fact]
    public void A_missing_memory_limit_is_caught()
    {
        k8s.SiloContainer.Resources.Limits.Remove("memory");
        Assert.Contains(ControlPlaneChecks.Resources(k8s.Silo), p => p.Contains("memory limit"));
    }

    [Theory]
    [InlineData("patch")]
    [InlineData("*")]
    public void A_Role_granting_one_verb_more_is_caught(string verb)
    {
        k8s.OfType<V1Role>().Single().Rules[0].Verbs.Add(verb);
        Assert.Contains(ControlPlaneChecks.JobPodRights(k8s), p => p.Contains("verbs"));
    }

    [Fact]
    public void A_Role_reaching_beyond_pods_or_the_jobs_namespace_is_caught()
    {
        var role = k8s.OfType<V1Role>().Single();
        role.Rules[0].Resources.Add("secrets");
        Assert.Contains(ControlPlaneChecks.JobPodRights(k8s), p => p.Contains("resources"));
        role.Rules[0].Resources.Remove("secrets");
        role.Metadata.NamespaceProperty = ControlPlaneManifests.ControlPlaneNamespace;
        Assert.Contains(ControlPlaneChecks.JobPodRights(k8s), p => p.Contains("namespace"));
    }

    [Fact]
    public void A_RoleBinding_to_another_service_account_is_caught()
    {
        k8s.OfType<V1RoleBinding>().Single().Subjects[0].Name = "default";
        Assert.Contains(ControlPlaneChecks.JobPodRights(k8s), p => p.Contains("binds"));
    }

    [Fact]
    public void A_reference_to_a_missing_Secret_key_is_caught()
    {
        k8s.SiloContainer.Env.Single(e => e.Name == "ConnectionStrings__Postgres").ValueFrom.SecretKeyRef.Key = "password";
        Assert.Contains(ControlPlaneChecks.References(k8s), p => p.Contains("Secret"));
    }

    [Fact]
    public void A_testbed_ConfigMap_one_byte_off_the_reference_is_caught()
    {
        var data = k8s.Get<V1ConfigMap>(ControlPlaneManifests.TestbedConfigMap, ControlPlaneManifests.ControlPlaneNamespace).Data;
        data["profile.csv"] = data["profile.csv"].TrimEnd('\n');   // what a `|-` block scalar would do
        Assert.Contains(ControlPlaneChecks.Testbed(k8s), p => p.Contains("profile.csv differs"));
    }

    [Fact]
    public void An_engine_without_an_image_is_caught()
    {
        var data = k8s.Get<V1ConfigMap>(ControlPlaneManifests.ExecutorConfigMap, ControlPlaneManifests.ControlPlaneNamespace).Data;
        data["kubernetes.json"] = data["kubernetes.json"].Replace("\"Engine\": \"tf-resnet50\"", "\"Engine\": \"tf-resnet101\"", StringComparison.Ordinal);
        Assert.Contains(ControlPlaneChecks.Executor(k8s), p => p.Contains("no image for engine tf-resnet50"));
    }

    [Fact]
    public void A_placeholder_the_executor_does_not_know_is_caught()
    {
        var data = k8s.Get<V1ConfigMap>(ControlPlaneManifests.ExecutorConfigMap, ControlPlaneManifests.ControlPlaneNamespace).Data;
        data["kubernetes.json"] = data["kubernetes.json"].Replace("{queries}", "{querys}", StringComparison.Ordinal);
        var problems = ControlPlaneChecks.Executor(k8s).ToList();
        Assert.Contains(problems, p => p.Contains("the executor rejects it") && p.Contains("querys"));
        Assert.Contains(problems, p => p.Contains("must pass the job's query count"));
    }
}
