using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime.Membership;
using SynergAI.Client;

// In the DI namespace, as the framework's own Add* methods are, so it is found without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SynergAI client: <see cref="ISynergAiClient"/> (and the concrete <see cref="SynergAiClient"/>).</summary>
public static class SynergAiClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client for the SynergAI cluster and <see cref="ISynergAiClient"/> on it, with its options bound
    /// from <paramref name="configuration"/> (e.g. <c>configuration.GetSection("SynergAI")</c>: <c>Gateways</c>,
    /// <c>PostgresConnectionString</c>, <c>ConnectTimeout</c>, …; see <see cref="SynergAiClientOptions"/>). The options
    /// are validated, and the client connects, when the host starts.
    /// </summary>
    public static IServiceCollection AddSynergAiClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddSynergAiClient(b => b.Bind(configuration));
    }

    /// <summary>
    /// Adds an Orleans client for the SynergAI cluster and <see cref="ISynergAiClient"/> on it. <paramref name="configure"/>
    /// runs when the options are first needed (when the host starts), not here; the options are validated then.
    /// </summary>
    public static IServiceCollection AddSynergAiClient(this IServiceCollection services, Action<SynergAiClientOptions>? configure = null) =>
        services.AddSynergAiClient(b => { if (configure is not null) b.Configure(configure); });

    static IServiceCollection AddSynergAiClient(this IServiceCollection services, Action<OptionsBuilder<SynergAiClientOptions>> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddOptions(services, options);
        services.AddOrleansClient(client =>
        {
            // Which gateways: a static list (resolved when the client connects) or PostgreSQL's membership table —
            // chosen from the options when the client starts, so nothing here reads them.
            client.Services.AddOptions<StaticGatewayListProviderOptions>().Configure<IOptions<SynergAiClientOptions>>((gateways, o) =>
                gateways.Gateways = [.. o.Value.ResolveGateways().Select(e => e.ToGatewayUri())]);
            // TLS to the gateways when a certificate is set (README "Operating"), loaded when the client starts as well.
            client.Services.AddOptions<ClientConnectionOptions>().Configure<IOptions<SynergAiClientOptions>>((connection, o) =>
            {
                if (string.IsNullOrWhiteSpace(o.Value.TlsCertificatePath)) return;
                var (certificate, authority) = ClusterTls.Load(o.Value.TlsCertificatePath, o.Value.TlsCertificatePassword, o.Value.TlsAuthorityPath);
                var tls = new Orleans.Connections.Security.TlsOptions();
                ClusterTls.Configure(tls, certificate, authority);
                connection.ConfigureConnection(c => c.UseClientTls(tls));
            });
            client.Services.AddOptions<AdoNetClusteringClientOptions>().Configure<IOptions<SynergAiClientOptions>>((ado, o) =>
            {
                ado.Invariant = "Npgsql";
                ado.ConnectionString = o.Value.PostgresConnectionString;
            });
            client.Services.AddSingleton<IGatewayListProvider>(sp =>
                string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<SynergAiClientOptions>>().Value.PostgresConnectionString)
                    ? ActivatorUtilities.CreateInstance<StaticGatewayListProvider>(sp)
                    : ActivatorUtilities.CreateInstance<AdoNetGatewayListProvider>(sp));
            client.Services.AddOptions<GatewayOptions>().Configure<IOptions<SynergAiClientOptions>>((g, o) =>
            {
                // Silos that restart come back on new addresses (new pods): look for them every few seconds.
                if (!string.IsNullOrWhiteSpace(o.Value.PostgresConnectionString)) g.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);
            });
            client.Services.AddOptions<ClusterOptions>().Configure<IOptions<SynergAiClientOptions>>((cluster, o) =>
            {
                cluster.ClusterId = o.Value.ClusterId;
                cluster.ServiceId = o.Value.ServiceId;
            });
            // Every call of the SDK answers in milliseconds; a call stranded on a silo that died should fail (and be
            // retried) well before Orleans' default 30 s.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.Services.TryAddSingleton(TimeProvider.System);
            client.Services.AddSingleton<IClientConnectionRetryFilter, ConnectTimeoutFilter>();
        });
        services.TryAddSingleton(sp => new SynergAiClient(sp.GetRequiredService<IClusterClient>(),
            sp.GetRequiredService<IOptions<SynergAiClientOptions>>().Value));
        services.TryAddSingleton<ISynergAiClient>(sp => sp.GetRequiredService<SynergAiClient>());
        return services;
    }

    /// <summary>
    /// For code that runs inside a silo of the cluster (a grain-based service co-hosted with the control plane, or the
    /// control plane's own silo): <see cref="ISynergAiClient"/> over the silo's own <see cref="IGrainFactory"/>, with no
    /// Orleans client (a silo must not host one). Gateways and connection settings are not used.
    /// </summary>
    public static IServiceCollection AddSynergAiClientInSilo(this IServiceCollection services, Action<SynergAiClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddOptions(services, b => { if (configure is not null) b.Configure(configure); });
        services.TryAddSingleton(sp => new SynergAiClient(sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<IOptions<SynergAiClientOptions>>().Value));
        services.TryAddSingleton<ISynergAiClient>(sp => sp.GetRequiredService<SynergAiClient>());
        return services;
    }

    static void AddOptions(IServiceCollection services, Action<OptionsBuilder<SynergAiClientOptions>> options)
    {
        var builder = services.AddOptions<SynergAiClientOptions>();
        options(builder);
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SynergAiClientOptions>, SynergAiClientOptionsValidator>());
    }
}
