using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SynergAI.Grains;
using SynergAI.Grains.Execution;
using SynergAI.Grains.Execution.Kubernetes;

namespace SynergAI.Kubernetes.Tests;

/// <summary><c>SynergAI:Executor</c> picks the executor the silo registers, and bad settings stop start-up.</summary>
public class HostingTests
{
    static IHost Silo(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: 23_111, gatewayPort: 33_000); // never bound: validation fails first
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddSynergAiControlPlane(configuration);
        });
        return builder.Build();
    }

    [Theory]
    [InlineData(null, typeof(SimulatedExecutor))]
    [InlineData("simulated", typeof(SimulatedExecutor))]
    [InlineData("kubernetes", typeof(KubernetesExecutor))]
    [InlineData("Kubernetes", typeof(KubernetesExecutor))]
    public void The_executor_setting_chooses_the_registered_executor(string? executor, Type expected)
    {
        using var host = Silo(new() { ["SynergAI:Executor"] = executor, ["SynergAI:Kubernetes:ApiServer"] = "http://127.0.0.1:1" });
        var registered = host.Services.GetRequiredService<IServiceProviderIsService>();
        Assert.True(registered.IsService(typeof(IJobExecutor)));
        Assert.IsType(expected, host.Services.GetRequiredService<IJobExecutor>());
    }

    [Fact]
    public async Task An_unknown_executor_stops_start_up_with_a_clear_message()
    {
        using var host = Silo(new() { ["SynergAI:Executor"] = "docker" });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SynergAI:Executor 'docker' is not an executor; use simulated or kubernetes", e.Message);
    }

    [Fact]
    public async Task Bad_kubernetes_settings_stop_start_up_naming_each_problem()
    {
        using var host = Silo(new()
        {
            ["SynergAI:Executor"] = "kubernetes",
            ["SynergAI:Kubernetes:Namespace"] = "Not_A_Namespace",
            ["SynergAI:Kubernetes:Engines:0:Engine"] = "tf-resnet50",
        });
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SynergAI:Kubernetes:Namespace 'Not_A_Namespace'", e.Message);
        Assert.Contains("SynergAI:Kubernetes:Engines:0:Image must not be empty (engine 'tf-resnet50')", e.Message);
    }
}

public class ApiServerTests
{
    [Fact]
    public void Without_an_api_server_a_pod_or_a_kubeconfig_the_executor_says_what_to_set()
    {
        var before = Environment.GetEnvironmentVariable("KUBECONFIG");
        Environment.SetEnvironmentVariable("KUBECONFIG", Path.Combine(Path.GetTempPath(), $"no-such-kubeconfig-{Guid.NewGuid():N}"));
        try
        {
            // Not checkable in a pod (in-cluster configuration) or with a default kubeconfig (a developer's machine).
            if (k8s.KubernetesClientConfiguration.IsInCluster() ||
                File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"))) return;
            var e = Assert.Throws<InvalidOperationException>(() => new KubernetesApi(Options.Create(new KubernetesExecutorOptions()), TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesApi>.Instance));
            Assert.Contains("no Kubernetes API server", e.Message);
            Assert.Contains("SynergAI:Kubernetes:ApiServer", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", before);
        }
    }
}
