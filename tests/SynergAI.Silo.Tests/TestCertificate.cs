using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SynergAI.Tests;

/// <summary>A self-signed certificate for server and client authentication, as README "Cluster TLS" makes with
/// openssl (shared by the silo's and the CLI's TLS tests).</summary>
internal static class TestCertificate
{
    public static void Write(string name, string path, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client authentication
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
    }
}
