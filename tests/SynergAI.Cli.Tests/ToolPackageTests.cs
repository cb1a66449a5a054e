using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace SynergAI.Cli.Tests;

/// <summary>The CLI as the README installs it: packed as a .NET tool (from the built binaries), installed into a
/// folder of its own, and every command of the README's CLI table run through it against a real silo.</summary>
public sealed class ToolPackageTests(RunningSilo fixture) : IClassFixture<RunningSilo>, IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("synergai-tool-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    static async Task<(int Exit, string Out, string Error)> RunAsync(string program, IEnumerable<string> args,
        IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The commands of the README's CLI table (first words), so that a new row without a run here fails.</summary>
    static IReadOnlyList<string> ReadmeTableCommands()
    {
        var readme = File.ReadAllText(Path.Combine(SiloRun.RepositoryRoot(), "README.md"));
        return [.. Regex.Matches(readme, @"^\| `synergai ([a-z-]+(?: [a-z][a-z-]*)?)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct()];
    }

    [Fact]
    public async Task The_packed_tool_runs_every_command_of_the_readme_table()
    {
        var configuration = typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var root = SiloRun.RepositoryRoot();
        var packages = Path.Combine(_temp, "packages");
        // A version of its own and a NuGet cache of its own: an installed tool of the same version is never reused.
        var version = "0.0.0-test." + Environment.ProcessId;
        var pack = await RunAsync("dotnet", ["pack", Path.Combine(root, "Client", "SynergAI.Cli", "SynergAI.Cli.csproj"), "-c", configuration,
            "--no-build", "-o", packages, $"-p:Version={version}"]);
        Assert.True(pack.Exit == 0, pack.Out + pack.Error);
        var tools = Path.Combine(_temp, "tools");
        var install = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "SynergAI.Cli", "--version", version],
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_temp, "nuget") });
        Assert.True(install.Exit == 0, install.Out + install.Error);
        var synergai = Path.Combine(tools, "synergai");

        var trace = Path.Combine(_temp, "trace.csv");
        var gateway = fixture.Silo.Gateway;
        var id = "tool-" + Guid.NewGuid().ToString("N")[..8];
        // Each README row with its placeholders filled in, and small sizes where the row's defaults take minutes.
        (string Command, string[] Args)[] rows =
        [
            ("experiment", ["experiment", "--experiment", "DL-FL", "--policies", "all", "--seeds", "2", "--format", "csv"]),
            ("trace", ["trace", "--experiment", "DL-FH", "--seed", "7"]),
            ("experiment", ["experiment", "--trace", trace, "--policies", "all", "--format", "csv"]),
            ("experiment", ["experiment", "--fleet", "varied", "--experiment", "DL-FL", "--seeds", "1", "--policies", "synergai", "--oracle",
                "--oracle-seconds", "2", "--oracle-threads", "1", "--format", "csv"]),
            ("oracle", ["oracle", "--trace", trace, "--seconds", "2"]),
            ("bench simulate", ["bench", "simulate", "--format", "csv", "--jobs", "200", "--workers", "3"]),
            ("submit", ["submit", "--engine", "tf-mobilenet", "--queries", "48", "--qos", "600", "--id", id, "--wait", "--gateway", gateway]),
            ("status", ["status", "--gateway", gateway]),
            ("status", ["status", id, "--format", "json", "--gateway", gateway]),
            ("workers", ["workers", "--format", "csv", "--gateway", gateway]),
            ("quote", ["quote", "--engine", "tf-mobilenet", "--queries", "48", "--qos", "600", "--gateway", gateway]),
            ("bench forecast", ["bench", "forecast"]),
            ("cancel", ["cancel", id, "--gateway", gateway]),
            ("profile import", ["profile", "import", Path.Combine(root, "Scheduling", "Testbeds", "reference"), "--pool", "tool-test", "--gateway", gateway]),
            ("submit", ["submit", "--trace", trace, "--time-scale", "0", "--id-prefix", id + "-", "--pool", "tool-test", "--gateway", gateway]),
        ];
        var ran = new HashSet<string>();
        foreach (var (command, args) in rows)
        {
            var run = await RunAsync(synergai, args);
            Assert.True(run.Exit == 0, $"synergai {string.Join(' ', args)}: exit {run.Exit}\n{run.Error}");
            Assert.NotEqual("", run.Out.Trim());
            if (command == "trace") await File.WriteAllTextAsync(trace, run.Out);
            ran.Add(command);
        }
        // Not run here: they take minutes (bench reevaluate, bench control-plane, experiment --live) or PostgreSQL
        // (db init); the commands themselves are tested elsewhere (ControlPlaneBenchTests, Persistence tests).
        string[] elsewhere = ["bench reevaluate", "bench control-plane", "db init"];
        Assert.Empty(ReadmeTableCommands().Except(ran).Except(elsewhere));

        var typo = await RunAsync(synergai, ["workrs"]);
        Assert.Equal((1, "", "error: unknown command 'workrs' for 'synergai'; did you mean 'workers'? (see 'synergai --help')\n"), typo);
    }
}
