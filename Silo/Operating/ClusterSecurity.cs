using SynergAI.Client;

namespace SynergAI.Silo.Operating;

/// <summary>Settings <c>Orleans:Tls</c>: with a certificate, silo-to-silo and gateway connections use TLS with client
/// certificates (<see cref="ClusterTls"/>), so only holders of the cluster's certificates can connect.</summary>
public sealed class ClusterTlsOptions
{
    /// <summary>The cluster certificate: a PKCS#12 (.pfx) file with its private key. Empty: no TLS.</summary>
    public string? Certificate { get; set; }
    public string? CertificatePassword { get; set; }
    /// <summary>The authority's certificate (PEM or DER); empty: the cluster certificate is its own authority.</summary>
    public string? Authority { get; set; }
}

public static class ClusterSecurity
{
    public static WebApplicationBuilder AddSynergAiClusterTls(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Orleans:Tls").Get<ClusterTlsOptions>() ?? new ClusterTlsOptions();
        if (string.IsNullOrWhiteSpace(options.Certificate)) return builder;
        (System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate, System.Security.Cryptography.X509Certificates.X509Certificate2 Authority) tls;
        try { tls = ClusterTls.Load(options.Certificate, options.CertificatePassword, options.Authority); }
        catch (ArgumentException e) { throw new SettingsException([$"Orleans:Tls:Certificate: {e.Message}"]); }
        builder.UseOrleans(silo => silo.UseTls(tls.Certificate, o => ClusterTls.Configure(o, tls.Certificate, tls.Authority)));
        return builder;
    }
}
