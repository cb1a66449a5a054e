using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

[CollectionDefinition(Name)]
public sealed class SiloProcessCollection : ICollectionFixture<SiloProcessFixture>
{
    public const string Name = "silo-processes";
}

/// <summary>A throwaway PostgreSQL server of its own; each test creates its own database on it.</summary>
public sealed class SiloProcessFixture : IAsyncLifetime
{
    PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await PostgresServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>End to end with real processes: the built silo (<c>Silo/bin/&lt;Configuration&gt;/net10.0</c>) started twice on
/// one PostgreSQL database, and the built CLI's <c>db init</c>.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SiloProcessTests(SiloProcessFixture fixture, ITestOutputHelper output)
{
    const string Engine = "tf-resnet50";

    [Fact]
    public async Task Two_silo_processes_on_postgres_form_one_cluster_and_run_jobs()
    {
        var started = Stopwatch.StartNew();
        var cs = await fixture.Server.CreateDatabaseAsync();
        var silos = new List<SiloProcess>();
        try
        {
            // Started together: both create the schema at once (the advisory lock serialises them).
            for (var i = 0; i < 2; i++) silos.Add(SiloProcess.Start(cs));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Task.WhenAll(silos.Select(s => s.WaitUntilReadyAsync(timeout.Token)));
            output.WriteLine($"both silos ready after {started.Elapsed.TotalSeconds:0.0} s");

            // The SDK finds the gateways in PostgreSQL's membership table, as `--connection` does for the CLI.
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSynergAiClient(o => o.PostgresConnectionString = cs);
            using var client = builder.Build();
            await client.StartAsync(timeout.Token);
            var synergai = client.Services.GetRequiredService<SynergAI.Client.SynergAiClient>();

            var ids = Enumerable.Range(1, 10).Select(i => $"job-e2e-{i:00}").ToList();
            foreach (var id in ids) await synergai.SubmitAsync(new JobSpec(Engine, 20, 1e5), id);
            foreach (var id in ids)
                Assert.Equal(JobState.Completed, (await synergai.WaitForCompletionAsync(id, cancellationToken: timeout.Token)).State);

            var workers = await RunCliAsync("workers", "--connection", cs, "--format", "csv");
            Assert.True(workers.Exit == 0, workers.Stderr);
            Assert.Equal(4, workers.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // header + x86, agx, nx
            output.WriteLine($"10 jobs completed after {started.Elapsed.TotalSeconds:0.0} s");

            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync(timeout.Token);
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = 'synergai' AND status = 3", connection);
            Assert.Equal(2L, (long)(await count.ExecuteScalarAsync(timeout.Token))!);

            await client.StopAsync(CancellationToken.None);
        }
        catch
        {
            foreach (var silo in silos) output.WriteLine($"--- silo {silo.GatewayPort} output:\n{silo.Output}");
            throw;
        }
        finally
        {
            foreach (var silo in silos) silo.Dispose();
            output.WriteLine($"total {started.Elapsed.TotalSeconds:0.0} s");
        }
    }

    [Fact]
    public async Task Db_init_applies_the_schema_once_then_reports_it_up_to_date()
    {
        var cs = await fixture.Server.CreateDatabaseAsync();

        var first = await RunCliAsync("db", "init", "--connection", cs);
        Assert.True(first.Exit == 0, first.Stderr);
        Assert.Contains("applied 001-", first.Stdout);

        var second = await RunCliAsync("db", "init", "--connection", cs);
        Assert.True(second.Exit == 0, second.Stderr);
        Assert.Equal("schema up to date", second.Stdout.Trim());

        var bad = await RunCliAsync("db", "init", "--connection", $"Host=127.0.0.1;Port={FreePort()};Database=x;Username=x;Password=secret-pw;Timeout=3");
        Assert.Equal(1, bad.Exit);
        Assert.Equal("", bad.Stdout);
        var line = Assert.Single(bad.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("secret-pw", line);
    }

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunCliAsync(params string[] args)
    {
        var dll = Built("Client/SynergAI.Cli", "synergai.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"synergai {string.Join(' ', args)} did not finish within 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A project's built output in the same configuration as this test assembly.</summary>
    internal static string Built(string project, string file)
    {
        var configuration = typeof(SiloProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), project, "bin", configuration, "net10.0", file);
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} does not exist: build the solution (dotnet build SynergAI.Orleans.sln -c {configuration}) first");
    }

    /// <summary>The folder of SynergAI.Orleans.sln above the test assembly.</summary>
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynergAI.Orleans.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"SynergAI.Orleans.sln not found above {AppContext.BaseDirectory}");
    }

    internal static int FreePort() => TestPorts.Next();
}
