using SynergAI.Tests;

namespace SynergAI.Cli.Tests;

/// <summary>A silo process whose Orleans connections need the cluster's certificate (made here).</summary>
public sealed class TlsSiloRun : IAsyncLifetime
{
    readonly TempFolder _folder = new();
    public const string Password = "test-password";
    public string Certificate => _folder.File("cluster.pfx");
    public SiloRun Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TestCertificate.Write("synergai-cluster", Certificate, Password);
        Silo = SiloRun.Start("--Orleans:AcceptInMemoryStateLoss=true", $"--Orleans:Tls:Certificate={Certificate}",
            $"--Orleans:Tls:CertificatePassword={Password}");
        await Silo.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
    }

    public Task DisposeAsync()
    {
        Silo.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The CLI against a cluster that requires TLS: <c>--tls-certificate</c> (or <c>SYNERGAI_TLS_CERTIFICATE</c>)
/// with the password from <c>SYNERGAI_TLS_PASSWORD</c>.</summary>
[Collection(nameof(TlsCommandTests))] // sets a process-wide environment variable
public sealed class TlsCommandTests(TlsSiloRun tls) : IClassFixture<TlsSiloRun>
{
    CliRun Cli(params string[] args) => CliRun.Of([.. args, "--gateway", tls.Silo.Gateway]);

    [Fact]
    public void With_the_cluster_certificate_the_cli_connects_and_without_it_cannot()
    {
        var refused = Cli("workers");
        Assert.NotEqual(ExitCodes.Ok, refused.ExitCode);
        Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Environment.SetEnvironmentVariable(Commands.Cluster.TlsPasswordVariable, TlsSiloRun.Password);
        try
        {
            var workers = Cli("workers", "--tls-certificate", tls.Certificate).Succeeded();
            Assert.Contains("x86", workers.Out);

            var missing = Cli("workers", "--tls-certificate", tls.Certificate + ".missing");
            Assert.Equal(ExitCodes.Error, missing.ExitCode);
            Assert.StartsWith("error: TLS certificate: cannot load", missing.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Commands.Cluster.TlsPasswordVariable, null);
        }
    }
}
