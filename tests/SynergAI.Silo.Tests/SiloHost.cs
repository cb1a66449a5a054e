using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SynergAI.Client;

namespace SynergAI.Silo.Tests;

/// <summary>One <c>dotnet SynergAI.Silo.dll</c> process (the embedded default: in-memory, reference testbed) on free
/// ports with the given settings, and an SDK client on its gateway. Killed on dispose.</summary>
public sealed class SiloHost : IAsyncDisposable
{
    readonly Process _process;
    readonly List<string> _lines = [];
    IHost? _client;

    SiloHost(Process process, int httpPort, int gatewayPort)
    {
        _process = process;
        HttpPort = httpPort;
        GatewayPort = gatewayPort;
    }

    public int HttpPort { get; }
    public int GatewayPort { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");
    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }
    /// <summary>An HTTP client on the silo's web port, sending <paramref name="apiKey"/> (if any) as <c>X-Api-Key</c>.</summary>
    public HttpClient HttpClient(string? apiKey = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null) http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return http;
    }

    public SynergAiClient Client => _client!.Services.GetRequiredService<SynergAiClient>();

    public static Task<SiloHost> StartAsync(params string[] settings) => StartAsync(null, settings);

    /// <summary>Starts the silo, then connects an SDK client configured by <paramref name="configureClient"/> too.</summary>
    public static async Task<SiloHost> StartAsync(Action<SynergAiClientOptions>? configureClient, params string[] settings)
    {
        var host = Launch(settings);
        try
        {
            await host.WaitUntilReadyAsync();
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddSynergAiClient(o =>
            {
                o.Gateways = [$"127.0.0.1:{host.GatewayPort}"];
                configureClient?.Invoke(o);
            });
            host._client = builder.Build();
            await host._client.StartAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>Starts the silo process and returns at once: no wait for readiness, no client.</summary>
    public static SiloHost Launch(params string[] settings)
    {
        var (http, silo, gateway) = (FreePort(), FreePort(), FreePort());
        var dll = Built("Silo", "SynergAI.Silo.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string[] args = [dll, $"--Orleans:SiloPort={silo}", $"--Orleans:GatewayPort={gateway}", "--urls", $"http://127.0.0.1:{http}",
            "--SynergAI:TimeScale=0.01", .. settings];
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var host = new SiloHost(process, http, gateway);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
    }

    async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"silo exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "health/ready"));
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"silo not ready after 90 s:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* the silo may be gone */ }
            _client.Dispose();
        }
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    /// <summary>A free port below Linux's ephemeral range (so no outgoing connection can take it before the silo binds).</summary>
    public static int FreePort()
    {
        for (var tries = 0; tries < 1000; tries++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port");
    }

    public static string Built(string project, string file)
    {
        var configuration = typeof(SiloHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), project, "bin", configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} does not exist: build the solution (-c {configuration}) first");
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SynergAI.Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException("SynergAI.Orleans.sln not found above the test assembly");
    }
}

/// <summary>One silo shared by the tests of a collection (starting one takes seconds).</summary>
public sealed class SharedSilo : IAsyncLifetime
{
    public SiloHost Silo { get; private set; } = null!;
    public async Task InitializeAsync() => Silo = await SiloHost.StartAsync();
    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedSiloCollection : ICollectionFixture<SharedSilo>
{
    public const string Name = "shared silo";
}
