using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Tests;

namespace SynergAI.Silo.Tests;

/// <summary>A silo whose Orleans connections need the cluster's certificate (a self-signed one, made here).</summary>
public sealed class TlsSilo : IAsyncLifetime
{
    readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("synergai-tls-");
    public string ClusterCertificate => Path.Combine(_folder.FullName, "cluster.pfx");
    public string OtherCertificate => Path.Combine(_folder.FullName, "other.pfx");
    public const string Password = "test-password";
    public SiloHost Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TestCertificate.Write("synergai-cluster", ClusterCertificate, Password);
        TestCertificate.Write("someone-else", OtherCertificate, Password);
        Silo = await SiloHost.StartAsync(o => { o.TlsCertificatePath = ClusterCertificate; o.TlsCertificatePassword = Password; },
            $"--Orleans:Tls:Certificate={ClusterCertificate}", $"--Orleans:Tls:CertificatePassword={Password}");
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}

public sealed class TlsTests(TlsSilo tls) : IClassFixture<TlsSilo>
{
    [Fact]
    public async Task A_client_with_the_cluster_certificate_connects()
    {
        var job = await tls.Silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", 100, 600));
        Assert.Equal(JobState.Completed, (await tls.Silo.Client.WaitForCompletionAsync(job.Id)).State);
    }

    [Fact]
    public async Task A_client_without_tls_cannot_connect() => await AssertCannotConnect(_ => { });

    [Fact]
    public async Task A_client_with_another_certificate_cannot_connect() =>
        await AssertCannotConnect(o => { o.TlsCertificatePath = tls.OtherCertificate; o.TlsCertificatePassword = TlsSilo.Password; });

    async Task AssertCannotConnect(Action<SynergAiClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSynergAiClient(o =>
        {
            o.Gateways = [$"127.0.0.1:{tls.Silo.GatewayPort}"];
            o.RetryFor = TimeSpan.FromSeconds(2);
            configure(o);
        });
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await host.StartAsync(timeout.Token);
            await host.Services.GetRequiredService<SynergAiClient>().GetPoolAsync(cancellationToken: timeout.Token);
        });
        Assert.IsNotType<ArgumentException>(refused); // not a bad setting: the connection itself fails
        try { await host.StopAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
    }
}
