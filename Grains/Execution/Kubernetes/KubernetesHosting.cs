using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SynergAI.Grains.Execution.Kubernetes;

public static class KubernetesHosting
{
    /// <summary>Registers the Kubernetes executor as the <see cref="IJobExecutor"/> (unless one is registered already)
    /// with its settings from <c>SynergAI:Kubernetes</c>, validated at start-up, and starts watching the job pods when
    /// the silo starts, so that the first dispatch finds the watch open (and a silo that cannot reach the API server
    /// says so in its log at once).</summary>
    public static ISiloBuilder AddKubernetesExecutor(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        services.AddOptions<KubernetesExecutorOptions>().Bind(configuration.GetSection(KubernetesExecutorOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesExecutorOptions>, KubernetesExecutorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KubernetesApi>();
        services.TryAddSingleton<IJobExecutor, KubernetesExecutor>();
        silo.AddStartupTask((provider, _) =>
        {
            (provider.GetRequiredService<IJobExecutor>() as KubernetesExecutor)?.StartWatching();
            return Task.CompletedTask;
        });
        return silo;
    }
}
