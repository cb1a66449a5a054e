using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SynergAI.Persistence.Tests;

/// <summary>One <c>dotnet SynergAI.Silo.dll</c> process on free ports, its console output kept line by line (single-line
/// log format, UTC timestamps). Killed (SIGKILL) on dispose if still running. <see cref="StartAgain"/> starts a new process
/// on the same ports and settings, as a restarted container would be.</summary>
public sealed class SiloProcess : IDisposable
{
    readonly Process _process;
    readonly List<string> _lines = [];
    readonly string _connectionString;
    readonly string[] _settings;

    SiloProcess(Process process, string connectionString, string[] settings, int siloPort, int gatewayPort, int httpPort)
    {
        _process = process;
        _connectionString = connectionString;
        _settings = settings;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public int Pid { get; private set; }
    public bool HasExited => _process.HasExited;
    /// <summary>When the process was killed or seen to exit after a stop; null while it runs.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public string Output => string.Join('\n', Lines);

    /// <summary>Starts a silo on <paramref name="connectionString"/> with extra settings (<c>--Key=Value</c>).</summary>
    public static SiloProcess Start(string connectionString, params string[] settings) =>
        Start(connectionString, SiloProcessTests.FreePort(), SiloProcessTests.FreePort(), SiloProcessTests.FreePort(), settings);

    /// <summary>A new silo process on this one's ports and settings (after this one ended): a restart.</summary>
    public SiloProcess StartAgain() => HasExited
        ? Start(_connectionString, SiloPort, GatewayPort, HttpPort, _settings)
        : throw new InvalidOperationException($"silo {SiloPort} (pid {Pid}) is still running");

    static SiloProcess Start(string connectionString, int siloPort, int gatewayPort, int httpPort, string[] settings)
    {
        var dll = SiloProcessTests.Built("Silo", "SynergAI.Silo.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, // content root: appsettings.json
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string[] args =
        [
            dll, $"--ConnectionStrings:Postgres={connectionString}", $"--Orleans:SiloPort={siloPort}",
            $"--Orleans:GatewayPort={gatewayPort}", "--urls", $"http://127.0.0.1:{httpPort}",
            "--Logging:Console:FormatterName=simple", "--Logging:Console:FormatterOptions:SingleLine=true",
            "--Logging:Console:FormatterOptions:UseUtcTimestamp=true", "--Logging:Console:FormatterOptions:TimestampFormat=O",
            .. settings,
        ];
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        var silo = new SiloProcess(process, connectionString, settings, siloPort, gatewayPort, httpPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        silo.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
    }

    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"silo (gateway {GatewayPort}) exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{HttpPort}/health/ready", cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested) { }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary><c>kill -9</c>: the process dies at once, without any shutdown.</summary>
    public void Kill()
    {
        EndedAt = DateTimeOffset.UtcNow;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as <c>docker stop</c> or Kubernetes sends: the host shuts the silo down gracefully.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (SendSignal(Pid, SigTerm) != 0) throw new InvalidOperationException($"kill -TERM {Pid} failed: errno {Marshal.GetLastPInvokeError()}");
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        EndedAt = DateTimeOffset.UtcNow;
    }

    const int SigTerm = 15;

#pragma warning disable SYSLIB1054 // a plain DllImport is enough for one blittable call
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054

    public override string ToString() => $"silo {SiloPort} (pid {Pid})";

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
}
