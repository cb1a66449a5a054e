using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace SynergAI.Client;

/// <summary>
/// TLS with mutual authentication for the cluster's Orleans connections (silo to silo, client to gateway): each side
/// presents the cluster's certificate (a PKCS#12 file with its private key) and accepts only a peer whose certificate
/// chains to the cluster's authority — a CA certificate file, or, without one, the cluster certificate itself (one
/// self-signed certificate shared by every silo and client). The silo and the SDK configure it the same way here.
/// </summary>
public static class ClusterTls
{
    /// <summary>Loads the certificate and the authority; a missing or unreadable file throws <see cref="ArgumentException"/>.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2 Authority) Load(string certificatePath, string? password, string? authorityPath)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
            if (!certificate.HasPrivateKey) throw new ArgumentException($"TLS certificate '{certificatePath}' has no private key");
            var authority = string.IsNullOrWhiteSpace(authorityPath) ? certificate : X509CertificateLoader.LoadCertificateFromFile(authorityPath);
            return (certificate, authority);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"TLS certificate: cannot load '{certificatePath}'{(authorityPath is null ? "" : $" or '{authorityPath}'")}: {e.Message}", e);
        }
    }

    /// <summary>Sets <paramref name="options"/> for mutual TLS: this side presents <paramref name="certificate"/> and accepts only peers issued by <paramref name="authority"/>.</summary>
    public static void Configure(TlsOptions options, X509Certificate2 certificate, X509Certificate2 authority)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // Trust is the cluster's authority alone, not the machine's store; silos are reached by IP address, so the
        // certificate's names are not checked (the authority vouches for every holder).
        options.RemoteCertificateValidation = (remote, _, _) => IssuedBy(remote, authority);
    }

    static bool IssuedBy(X509Certificate2 remote, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(remote);
    }
}
