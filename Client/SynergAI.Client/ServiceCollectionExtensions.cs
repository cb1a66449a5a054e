using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SynergAI.Client;

// In the DI namespace, as the framework's own Add* methods are, so it is found without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

public static class SynergAiClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client for the SynergAI cluster — static gateway list from <see cref="SynergAiClientOptions.Gateways"/>
    /// (default <c>localhost:30000</c>), or the gateways in PostgreSQL's membership table when
    /// <see cref="SynergAiClientOptions.PostgresConnectionString"/> is set; cluster and service id <c>synergai</c> — and a <see cref="SynergAiClient"/>
    /// singleton on it. The client connects when the host starts. Bad gateways throw <see cref="ArgumentException"/> here.
    /// </summary>
    public static IServiceCollection AddSynergAiClient(this IServiceCollection services, Action<SynergAiClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new SynergAiClientOptions();
        configure?.Invoke(options);
        options.Validate();
        var postgres = options.PostgresConnectionString;
        var gateways = string.IsNullOrWhiteSpace(postgres) ? options.ResolveGateways() : [];

        var tls = string.IsNullOrWhiteSpace(options.TlsCertificatePath) ? default
            : ClusterTls.Load(options.TlsCertificatePath, options.TlsCertificatePassword, options.TlsAuthorityPath);

        services.AddOrleansClient(client =>
        {
            if (tls.Certificate is not null) client.UseTls(tls.Certificate, o => ClusterTls.Configure(o, tls.Certificate, tls.Authority));
            if (string.IsNullOrWhiteSpace(postgres)) client.UseStaticClustering([.. gateways]);
            else
            {
                client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = postgres; });
                // Silos that restart come back on new addresses (new pods): look for them every few seconds, not
                // Orleans' default minute.
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            }
            // Every call of the SDK answers in milliseconds; a call stranded on a silo that died should fail (and be
            // retried, when safe) well before Orleans' default 30 s.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
        });
        services.AddSingleton(options);
        services.AddSingleton(sp => new SynergAiClient(sp.GetRequiredService<IClusterClient>(), options));
        return services;
    }
}
