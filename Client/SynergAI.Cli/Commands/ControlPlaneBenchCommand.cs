using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace SynergAI.Cli.Commands;

/// <summary>
/// <c>synergai bench control-plane</c>: figures for a running cluster, measured only through the SDK
/// (<see cref="SynergAI.Client.SynergAiClient"/>), so any version of the control plane can be compared:
/// <list type="bullet">
/// <item>submissions per second from one client (N jobs, a fixed number in flight) after a warm-up run of as many,
/// and the warm-up run's own (cold) rate, to a pool whose three workers are busy for long (the queue just grows);</item>
/// <item>the silo processes' CPU time (user + system, <c>/proc/PID/stat</c>) per submission during the timed run —
/// of the PIDs given with <c>--silo-pid</c>, or else of the silo processes found on this machine;</item>
/// <item>submit-to-start latency, open loop: submissions on a fixed schedule (default 500/s for 20 s) to a pool with
/// enough free workers that every job can start at once;</item>
/// <item>one full re-evaluation (re-estimate + one policy round) of a queue whose query counts all differ, on
/// 100 / 1,000 / 10,000 busy workers (the last one skipped with <c>--sizes small</c>);</item>
/// <item>with <c>--failover-kill PID</c>: the longest gap between acknowledged submissions after that silo is killed
/// (SIGKILL) under a steady open-loop load.</item>
/// </list>
/// The bench does not start or restart silos: start them yourself (README, "several silos on one machine") and pass
/// the PID of one of them to <c>--failover-kill</c>; it needs at least two active silos. Every phase uses its own pool
/// and workers (<c>bench-{stamp}-…</c>), so the <c>default</c> pool is never touched, and every job the bench
/// submitted is cancelled at the end. Progress goes to stderr, the figures to stdout.
/// </summary>
internal static class ControlPlaneBenchCommand
{
    /// <summary>The keys of the JSON object, in order. A figure that was not measured is null; <c>failed</c> lists the
    /// keys whose phase failed.</summary>
    public static readonly string[] JsonKeys =
    [
        "silos", "submissions_per_s", "submissions_per_s_cold", "cpu_ms_per_submission", "dispatch_p50_ms", "dispatch_p99_ms",
        "reeval_1k_x_100_ms", "reeval_10k_x_1k_ms", "reeval_100k_x_10k_ms", "failover_stall_s", "failed",
    ];

    public static Command Create(CliIo io)
    {
        var format = Options.Format("table", "json");
        var submissions = new Option<int>("--submissions")
        {
            Description = "Jobs in the timed submissions/s run (after a warm-up run of as many)", DefaultValueFactory = _ => 20_000,
        }.Must(n => n > 0, "must be positive");
        var inFlight = new Option<int>("--in-flight") { Description = "Submissions kept in flight at once", DefaultValueFactory = _ => 500 }
            .Must(n => n > 0, "must be positive");
        var dispatchRate = new Option<double>("--dispatch-rate")
        {
            Description = "Submissions per second for the open-loop dispatch latency", DefaultValueFactory = _ => 500,
        }.Must(x => double.IsFinite(x) && x > 0 && x <= 100_000, "must be a number above 0 and at most 100000");
        var dispatchSeconds = new Option<double>("--dispatch-seconds")
        {
            Description = "Seconds of open-loop submissions measured for the dispatch latency (after one second of warm-up)", DefaultValueFactory = _ => 20,
        }.Must(x => double.IsFinite(x) && x > 0 && x <= 3_600, "must be a number of seconds above 0 and at most 3600");
        var dispatchWorkers = new Option<int>("--dispatch-workers")
        {
            Description = "Free workers (copies of the reference testbed's) for the dispatch latency", DefaultValueFactory = _ => 300,
        }.Must(n => n > 0 && n <= 100_000, "must be between 1 and 100000");
        var reevaluations = new Option<int>("--reevaluations")
        {
            Description = "Full re-evaluations timed per size (the median is reported; at most 3 for 100,000 × 10,000)", DefaultValueFactory = _ => 5,
        }.Must(n => n > 0 && n <= 1_000, "must be between 1 and 1000");
        var sizes = new Option<string>("--sizes")
        {
            Description = "Re-evaluation sizes: both (1,000 × 100, 10,000 × 1,000 and 100,000 × 10,000), small (all but the last), none",
            DefaultValueFactory = _ => "both",
        };
        sizes.AcceptOnlyFromAmong("both", "small", "none");
        var siloPids = new Option<int[]>("--silo-pid")
        {
            Description = "PID of a silo process whose CPU time is measured (repeatable; default: the silo processes found on this machine)",
            AllowMultipleArgumentsPerToken = false,
        }.Must(pids => pids.All(p => p > 0), "must be a positive process id");
        var failoverKill = new Option<int?>("--failover-kill")
        {
            Description = "PID of one silo (of at least two) that the bench kills with SIGKILL to measure the failover stall; the bench never starts silos",
        }.Must(p => p is > 0, "must be a positive process id");
        var failoverRate = new Option<double>("--failover-rate")
        {
            Description = "Submissions per second (open loop) during the failover measurement", DefaultValueFactory = _ => 200,
        }.Must(x => double.IsFinite(x) && x > 0 && x <= 100_000, "must be a number above 0 and at most 100000");
        var failoverBefore = new Option<double>("--failover-before")
        {
            Description = "Seconds of steady submissions before the kill", DefaultValueFactory = _ => 10,
        }.Must(x => double.IsFinite(x) && x > 0 && x <= 3_600, "must be a number of seconds above 0 and at most 3600");
        var failoverAfter = new Option<double>("--failover-after")
        {
            Description = "Seconds of steady submissions from the kill on", DefaultValueFactory = _ => 30,
        }.Must(x => double.IsFinite(x) && x > 0 && x <= 3_600, "must be a number of seconds above 0 and at most 3600");

        var command = new Command("control-plane",
            "Measure the running control plane through the SDK: submissions/s (warm and cold), silo CPU per submission, open-loop " +
            "submit-to-start latency, full re-evaluation times, and with --failover-kill PID the submission stall when that silo is " +
            "killed. Uses its own bench pools and cancels its jobs at the end. It does not start silos: start them yourself (README) " +
            "and pass the PID of one to kill.")
        {
            format, submissions, inFlight, dispatchRate, dispatchSeconds, dispatchWorkers, reevaluations, sizes, siloPids,
            failoverKill, failoverRate, failoverBefore, failoverAfter,
        };
        var cluster = new Cluster();
        command.Options.Add(cluster.Gateway);
        command.Options.Add(cluster.Connection);
        command.SetAction((parsed, cancel) =>
        {
            var settings = new BenchSettings(
                parsed.GetValue(submissions), parsed.GetValue(inFlight),
                parsed.GetValue(dispatchRate), parsed.GetValue(dispatchSeconds), parsed.GetValue(dispatchWorkers),
                parsed.GetValue(reevaluations), parsed.GetValue(sizes)!,
                parsed.GetValue(siloPids) ?? [], parsed.GetValue(failoverKill),
                parsed.GetValue(failoverRate), parsed.GetValue(failoverBefore), parsed.GetValue(failoverAfter));
            // Checked before connecting: a PID that does not exist is a typo, not something to find out after minutes.
            foreach (var pid in settings.SiloPids)
                if (!SiloProcesses.Exists(pid)) throw new ArgumentException($"--silo-pid {pid}: no such process");
            if (settings.FailoverKill is { } victim)
            {
                if (victim == Environment.ProcessId) throw new ArgumentException("--failover-kill: that is this process");
                if (!SiloProcesses.Exists(victim)) throw new ArgumentException($"--failover-kill {victim}: no such process");
            }
            var gatewayPorts = parsed.GetValue(cluster.Connection) is null ? GatewayPorts(parsed.GetValue(cluster.Gateway)!) : null;
            return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
            {
                var bench = new ControlPlaneBench(io, client);
                BenchFigures figures;
                try
                {
                    figures = await bench.RunAsync(settings, gatewayPorts, token);
                }
                finally
                {
                    await bench.CancelEverythingAsync();
                }
                Write(io, parsed.GetValue(format) == "json", figures);
                if (figures.Failed.Count > 0) io.Error.WriteLine($"error: some phases failed: {string.Join(", ", figures.Failed)}");
                return figures.Failed.Count > 0 ? 1 : 0;
            });
        });
        return command;
    }

    /// <summary>The ports of the <c>--gateway</c> entries (to pick this cluster's silos among those on the machine).</summary>
    static HashSet<int> GatewayPorts(IEnumerable<string> gateways)
    {
        var ports = new HashSet<int>();
        foreach (var entry in gateways.SelectMany(g => g.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var colon = entry.LastIndexOf(':');
            if (colon > 0 && int.TryParse(entry[(colon + 1)..], CultureInfo.InvariantCulture, out var port)) ports.Add(port);
        }
        return ports;
    }

    /// <summary>The figures as one JSON object with exactly <see cref="JsonKeys"/>: numbers, or null when not measured.</summary>
    internal static string Json(BenchFigures f)
    {
        static double? Round(double? x, int digits) => x is { } v ? Math.Round(v, digits, MidpointRounding.AwayFromZero) : null;
        var values = new Dictionary<string, object?>
        {
            ["silos"] = f.Silos,
            ["submissions_per_s"] = Round(f.SubmissionsPerSecond, 0),
            ["submissions_per_s_cold"] = Round(f.SubmissionsPerSecondCold, 0),
            ["cpu_ms_per_submission"] = Round(f.CpuMsPerSubmission, 4),
            ["dispatch_p50_ms"] = Round(f.DispatchP50Ms, 2),
            ["dispatch_p99_ms"] = Round(f.DispatchP99Ms, 2),
            ["reeval_1k_x_100_ms"] = Round(f.Reeval1kX100Ms, 2),
            ["reeval_10k_x_1k_ms"] = Round(f.Reeval10kX1kMs, 2),
            ["reeval_100k_x_10k_ms"] = Round(f.Reeval100kX10kMs, 2),
            ["failover_stall_s"] = Round(f.FailoverStallSeconds, 3),
            ["failed"] = f.Failed,
        };
        return JsonSerializer.Serialize(values);
    }

    static void Write(CliIo io, bool json, BenchFigures f)
    {
        if (json)
        {
            io.Out.WriteLine(Json(f));
            return;
        }
        string Show(string key, double? value, string format, string missing = "skipped") =>
            value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : f.Failed.Contains(key) ? "failed" : missing;
        var table = new Table().Border(TableBorder.Simple).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("goal");
        table.AddRow("active silos", f.Silos.ToString(CultureInfo.InvariantCulture), "");
        table.AddRow("submissions/s, warm (one client)", Show("submissions_per_s", f.SubmissionsPerSecond, "N0"), "≥ 10,000");
        table.AddRow("submissions/s, cold (warm-up run)", Show("submissions_per_s_cold", f.SubmissionsPerSecondCold, "N0"), "");
        table.AddRow("silo CPU ms per submission", Show("cpu_ms_per_submission", f.CpuMsPerSubmission, "0.000", "n/a"), "≤ 0.15");
        table.AddRow("submit-to-start p50 ms (open loop)", Show("dispatch_p50_ms", f.DispatchP50Ms, "0.00"), "");
        table.AddRow("submit-to-start p99 ms (open loop)", Show("dispatch_p99_ms", f.DispatchP99Ms, "0.00"), "≤ 10");
        table.AddRow("re-evaluation 1,000 × 100 ms", Show("reeval_1k_x_100_ms", f.Reeval1kX100Ms, "0.00"), "");
        table.AddRow("re-evaluation 10,000 × 1,000 ms", Show("reeval_10k_x_1k_ms", f.Reeval10kX1kMs, "0.00"), "≤ 100");
        table.AddRow("re-evaluation 100,000 × 10,000 ms", Show("reeval_100k_x_10k_ms", f.Reeval100kX10kMs, "0.00"), "≤ 1,000");
        table.AddRow("failover stall s", Show("failover_stall_s", f.FailoverStallSeconds, "0.00"), "≤ detection + 2 s");
        io.Tables.Write(table);
    }
}

/// <summary>What <c>bench control-plane</c> was asked to do.</summary>
internal sealed record BenchSettings(
    int Submissions, int InFlight,
    double DispatchRate, double DispatchSeconds, int DispatchWorkers,
    int Reevaluations, string Sizes,
    int[] SiloPids, int? FailoverKill, double FailoverRate, double FailoverBeforeSeconds, double FailoverAfterSeconds);

/// <summary>The figures; null when not measured (skipped, not available, or failed — then its key is in
/// <see cref="Failed"/>).</summary>
internal sealed record BenchFigures(
    int Silos,
    double? SubmissionsPerSecond, double? SubmissionsPerSecondCold, double? CpuMsPerSubmission,
    double? DispatchP50Ms, double? DispatchP99Ms,
    double? Reeval1kX100Ms, double? Reeval10kX1kMs, double? Reeval100kX10kMs,
    double? FailoverStallSeconds,
    IReadOnlyList<string> Failed);
