using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SynergAI.Grains.Execution.Kubernetes;

public static class KubernetesHosting
{
    /// <summary>Registers the Kubernetes executor as the <see cref="IJobExecutor"/> (unless one is registered already)
    /// with its settings from <c>SynergAI:Kubernetes</c>, validated at start-up.</summary>
    public static IServiceCollection AddKubernetesExecutor(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KubernetesExecutorOptions>().Bind(configuration.GetSection(KubernetesExecutorOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesExecutorOptions>, KubernetesExecutorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KubernetesApi>();
        services.TryAddSingleton<IJobExecutor, KubernetesExecutor>();
        return services;
    }
}
