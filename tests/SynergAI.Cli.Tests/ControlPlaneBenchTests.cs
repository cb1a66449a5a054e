using System.Text.Json;
using SynergAI.Cli.Commands;

namespace SynergAI.Cli.Tests;

/// <summary><c>bench control-plane</c> without a cluster: its options are checked before it connects, its JSON has
/// exactly the documented keys, and it reads <c>/proc</c> correctly.</summary>
public class ControlPlaneBenchTests
{
    [Theory]
    [InlineData("--submissions", "0")]
    [InlineData("--submissions", "-5")]
    [InlineData("--submissions", "many")]
    [InlineData("--in-flight", "0")]
    [InlineData("--dispatch-rate", "0")]
    [InlineData("--dispatch-rate", "NaN")]
    [InlineData("--dispatch-rate", "1e9")]
    [InlineData("--dispatch-seconds", "-1")]
    [InlineData("--dispatch-seconds", "Infinity")]
    [InlineData("--dispatch-workers", "0")]
    [InlineData("--reevaluations", "0")]
    [InlineData("--sizes", "huge")]
    [InlineData("--silo-pid", "0")]
    [InlineData("--silo-pid", "x")]
    [InlineData("--failover-kill", "-1")]
    [InlineData("--failover-rate", "0")]
    [InlineData("--failover-before", "0")]
    [InlineData("--failover-after", "-3")]
    [InlineData("--format", "csv")]
    public void A_bad_option_fails_with_one_line_naming_it_before_connecting(string option, string value)
    {
        var run = CliRun.Of("bench", "control-plane", "--gateway", "localhost:1", option, value);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out.Trim());
        var errors = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:")).ToList();
        Assert.Single(errors);
        Assert.True(errors[0].Contains(option) || errors[0].Contains($"'{value}'"), errors[0]);
        Assert.DoesNotContain("   at ", run.Error); // no stack trace
    }

    [Theory]
    [InlineData("--silo-pid")]
    [InlineData("--failover-kill")]
    public void A_pid_that_does_not_exist_is_refused_before_connecting(string option)
    {
        var run = CliRun.Of("bench", "control-plane", "--gateway", "localhost:1", option, int.MaxValue.ToString());

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"error: {option} {int.MaxValue}: no such process", run.Error.Trim());
    }

    [Fact]
    public void The_failover_kill_refuses_to_kill_the_bench_itself()
    {
        var run = CliRun.Of("bench", "control-plane", "--gateway", "localhost:1", "--failover-kill", Environment.ProcessId.ToString());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--failover-kill: that is this process", run.Error);
    }

    [Fact]
    public void The_help_says_that_the_bench_does_not_start_silos()
    {
        var run = CliRun.Of("bench", "control-plane", "--help").Succeeded();

        Assert.Contains("does not start silos", run.Out);
        foreach (var option in new[] { "--submissions", "--in-flight", "--reevaluations", "--dispatch-rate", "--dispatch-seconds", "--sizes", "--silo-pid", "--failover-kill" })
            Assert.Contains(option, run.Out);
    }

    [Fact]
    public void The_json_has_exactly_the_documented_keys_with_null_for_what_was_not_measured()
    {
        var figures = new BenchFigures(2, 12_345.6, 3_000, null, 1.234, 9.876, 4.5, 80, null, null, ["reeval_100k_x_10k_ms"]);

        using var json = JsonDocument.Parse(ControlPlaneBenchCommand.Json(figures));

        Assert.Equal(ControlPlaneBenchCommand.JsonKeys, json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, json.RootElement.GetProperty("silos").GetInt32());
        Assert.Equal(12_346, json.RootElement.GetProperty("submissions_per_s").GetDouble());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("cpu_ms_per_submission").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("failover_stall_s").ValueKind);
        Assert.Equal(1.23, json.RootElement.GetProperty("dispatch_p50_ms").GetDouble());
        Assert.Equal(["reeval_100k_x_10k_ms"], json.RootElement.GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void The_readme_lists_every_json_key()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "SynergAI.Orleans.sln"))) folder = folder.Parent;
        Assert.NotNull(folder);
        var row = File.ReadAllLines(Path.Combine(folder.FullName, "README.md")).Single(l => l.StartsWith("| `synergai bench control-plane", StringComparison.Ordinal));

        foreach (var key in ControlPlaneBenchCommand.JsonKeys) Assert.Contains(key, row);
    }

    [Theory]
    [InlineData("1234 (SynergAI.Silo) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 40 0 0 20 0 30 0 100 0 0", 290)]
    [InlineData("77 (odd) name) (x) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0", 10)]
    public void Cpu_ticks_are_user_plus_system_counted_from_the_last_parenthesis(string stat, long ticks) =>
        Assert.Equal(ticks, SiloProcesses.ParseCpuTicks(stat));

    [Fact]
    public void Cpu_ticks_of_a_garbled_stat_line_are_unknown() => Assert.Null(SiloProcesses.ParseCpuTicks("1234 (x) S 1 2"));

    [Fact]
    public void This_process_has_cpu_ticks_on_linux()
    {
        if (!SiloProcesses.Supported) return;
        Assert.True(SiloProcesses.CpuTicks(Environment.ProcessId) >= 0);
        Assert.True(SiloProcesses.ClockTicksPerSecond() > 0);
    }

    [Theory]
    [InlineData(true, "/work/x/Silo/bin/Release/net10.0/SynergAI.Silo", "--urls", "http://127.0.0.1:5091")]
    [InlineData(true, "dotnet", "Silo/bin/Release/net10.0/SynergAI.Silo.dll")]
    [InlineData(true, "/usr/share/dotnet/dotnet", "/app/SynergAI.Silo.dll", "--Orleans:GatewayPort=30001")]
    [InlineData(false, "dotnet", "run", "--project", "Silo")]
    [InlineData(false, "dotnet", "exec", "testhost.dll", "SynergAI.Silo")]
    [InlineData(false, "synergai", "bench", "control-plane")]
    public void Silo_command_lines_are_recognized(bool silo, params string[] args) => Assert.Equal(silo, SiloProcesses.IsSilo(args));

    [Theory]
    [InlineData(30091, "SynergAI.Silo", "--urls", "http://x:5091", "--Orleans:GatewayPort=30091")]
    [InlineData(30092, "SynergAI.Silo", "--orleans:gatewayport", "30092")]
    [InlineData(30093, "SynergAI.Silo", "/Orleans:GatewayPort=30093")]
    [InlineData(30000, "SynergAI.Silo", "--Orleans:SiloPort=11112")]
    public void A_silos_gateway_port_comes_from_its_command_line(int port, params string[] args) =>
        Assert.Equal(port, SiloProcesses.GatewayPort(args, new Dictionary<string, string>()));

    [Fact]
    public void A_silos_gateway_port_comes_from_its_environment_when_the_command_line_does_not_set_it() =>
        Assert.Equal(30005, SiloProcesses.GatewayPort(["SynergAI.Silo"], new Dictionary<string, string> { ["Orleans__GatewayPort"] = "30005" }));
}
