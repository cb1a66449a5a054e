using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace SynergAI.Cli.Tests;

/// <summary>The built silo (<c>Silo/bin/&lt;Configuration&gt;/net10.0/SynergAI.Silo.dll</c>) as a process, started from a
/// folder that is not its own (so its content root must be found from the binary), its output kept.</summary>
public sealed class SiloRun : IDisposable
{
    readonly Process _process;
    readonly List<string> _lines = [];

    SiloRun(Process process, int siloPort, int gatewayPort, int httpPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public string Output => string.Join('\n', Lines);

    /// <summary>A silo on free ports (unless <paramref name="settings"/> set them; later settings win) with in-memory
    /// storage, at time scale 0.01.</summary>
    public static SiloRun Start(params string[] settings) => Start(FreePort(), FreePort(), FreePort(), settings);

    public static SiloRun Start(int siloPort, int gatewayPort, int httpPort, params string[] settings)
    {
        var dll = Built("Silo", "SynergAI.Silo.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetTempPath(), // not the silo's folder: its appsettings.json must be found anyway
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string[] args =
        [
            dll, $"--Orleans:SiloPort={siloPort}", $"--Orleans:GatewayPort={gatewayPort}", "--urls", $"http://127.0.0.1:{httpPort}",
            "--SynergAI:TimeScale=0.01", .. settings,
        ];
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var silo = new SiloRun(process, siloPort, gatewayPort, httpPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
    }

    /// <summary>Waits for the process to end (it is expected to refuse to start) and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        _process.WaitForExit(); // the output readers drain
        return _process.ExitCode;
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"silo exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{HttpPort}/health/ready", limit.Token);
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !limit.IsCancellationRequested) { }
            await Task.Delay(200, limit.Token);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* never started or already gone */ }
        _process.Dispose();
    }

    static string Built(string project, string file)
    {
        var configuration = typeof(SiloRun).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), project, "bin", configuration, "net10.0", file);
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} does not exist: build the solution (dotnet build SynergAI.Orleans.sln -c {configuration}) first");
    }

    /// <summary>The folder of SynergAI.Orleans.sln above the test assembly.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynergAI.Orleans.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("SynergAI.Orleans.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A port nothing listens on, from 20000-31999 (below Linux's ephemeral range, so no outgoing connection
    /// takes it between this probe and the silo's bind), each handed out once per test process.</summary>
    public static int FreePort()
    {
        for (var tries = 0; tries < 12_000; tries++)
        {
            var port = 20_000 + (int)((uint)Interlocked.Increment(ref _next) % 12_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port in 20000-31999");
    }

    static int _next = Environment.ProcessId * 7919 % 12_000 + 6_000; // apart from the persistence tests' sequence
}
