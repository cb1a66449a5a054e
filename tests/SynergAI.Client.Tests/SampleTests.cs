using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SynergAI.Client.Tests;

/// <summary>The samples (<c>samples/</c>), built with the solution, run as their users would run them against a silo
/// process this test starts (<c>dotnet SynergAI.Silo.dll</c>, time scale 0.01).</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task The_console_app_and_the_grain_based_service_submit_and_watch_jobs_on_a_silo()
    {
        int siloPort = FreePort(), gatewayPort = FreePort(), httpPort = FreePort();
        using var silo = Run(Built("Silo", "SynergAI.Silo.dll"), $"--Orleans:SiloPort={siloPort}", $"--Orleans:GatewayPort={gatewayPort}",
            "--urls", $"http://127.0.0.1:{httpPort}", "--SynergAI:TimeScale=0.01");
        try
        {
            await WaitUntilReady(silo, httpPort);

            var console = Run(Built("samples/ConsoleApp", "SynergAI.Samples.ConsoleApp.dll"),
                $"--SynergAI:Gateways:0=127.0.0.1:{gatewayPort}", "--Jobs=3");
            var (consoleExit, consoleOut) = await Finish(console, TimeSpan.FromSeconds(90));
            Assert.True(consoleExit == 0, $"console app exited with {consoleExit}:\n{consoleOut}");
            Assert.Equal(3, consoleOut.Split('\n').Count(l => l.EndsWith(": Queued > Dispatched > Running > Completed")));
            Assert.Contains("completed: 3 of 3; listed as completed since start: 3", consoleOut);

            // Last: a silo that joins and leaves a cluster on in-memory storage can take some of its state with it.
            var service = Run(Built("samples/ReportService", "SynergAI.Samples.ReportService.dll"),
                $"--PrimarySiloPort={siloPort}", $"--SiloPort={FreePort()}", $"--GatewayPort={FreePort()}", "--Day=2026-11-30");
            var (serviceExit, serviceOut) = await Finish(service, TimeSpan.FromSeconds(90));
            Assert.True(serviceExit == 0, $"report service exited with {serviceExit}:\n{serviceOut}");
            Assert.Contains("nightly-2026-11-30: Queued > Dispatched > Running > Completed", serviceOut);
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
            await silo.WaitForExitAsync();
        }
    }

    static Process Run(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Outputs.AddOrUpdate(process, output);
        return process;
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Process, System.Text.StringBuilder> Outputs = new();

    static string OutputOf(Process process)
    {
        var output = Outputs.TryGetValue(process, out var o) ? o : new();
        lock (output) return output.ToString();
    }

    static async Task<(int ExitCode, string Output)> Finish(Process process, TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"(killed after {timeout.TotalSeconds} s)\n{OutputOf(process)}");
        }
        process.WaitForExit(); // the output's last lines
        return (process.ExitCode, OutputOf(process).Replace("\r", ""));
    }

    static async Task WaitUntilReady(Process silo, int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (silo.HasExited) throw new InvalidOperationException($"the silo exited with {silo.ExitCode}:\n{OutputOf(silo)}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the silo was not ready within 90 s:\n{OutputOf(silo)}");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A built output of the solution (same configuration as this test assembly).</summary>
    static string Built(string project, string dll)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SynergAI.Orleans.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException($"SynergAI.Orleans.sln not found above {AppContext.BaseDirectory}");
        var configuration = AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release";
        var path = Path.Combine(dir.FullName, project, "bin", configuration, "net10.0", dll);
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} does not exist: build the solution (dotnet build SynergAI.Orleans.sln -c {configuration}) first");
    }
}
