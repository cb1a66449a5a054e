using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CsvHelper;
using Spectre.Console;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai bench simulate</c>: how long the simulator takes per policy on a large generated workload.
/// <c>synergai bench reevaluate [--policy P]</c>: how long one full round of a policy (SynergAI by default) takes on a long queue and a large fleet.</summary>
internal static class BenchCommand
{
    public static Command Create(CliIo io)
    {
        var jobs = new Option<int>("--jobs") { Description = "Jobs in the generated trace", DefaultValueFactory = _ => 10_000 }.Must(n => n > 0, "must be positive");
        var workers = new Option<int>("--workers") { Description = "Workers, copies of the testbed's workers", DefaultValueFactory = _ => 100 }.Must(n => n > 0, "must be positive");
        var load = new Option<double>("--load") { Description = "Offered load as a fraction of the fleet's capacity", DefaultValueFactory = _ => 0.9 }
            .Must(x => double.IsFinite(x) && x > 0, "must be a positive number");
        var policies = Options.Policies();
        var testbed = Options.Testbed();
        var format = Options.Format("table", "csv");
        var simulate = new Command("simulate", "Time the simulator on a generated trace (default 10,000 jobs at about 90% load on 100 workers)")
        {
            jobs, workers, load, policies, testbed, format,
        };
        simulate.SetAction(parsed =>
        {
            var fleet = BenchmarkWorkload.Fleet(Options.LoadTestbed(parsed, testbed), parsed.GetValue(workers));
            var trace = BenchmarkWorkload.Trace(fleet, parsed.GetValue(jobs), parsed.GetValue(load), seed: 1);
            var names = PolicyCatalog.Parse(parsed.GetValue(policies)!);
            var dictionary = new ConfigurationDictionary(fleet);
            io.Error.WriteLine($"simulating {trace.Count} jobs on {fleet.Workers.Count} workers at {parsed.GetValue(load):P0} load, one policy at a time");

            var rows = new List<(string Policy, double Seconds, double CpuSeconds)>();
            using var process = Process.GetCurrentProcess();
            foreach (var name in names)
            {
                Simulator.Run(dictionary, trace.Take(200).ToList(), PolicyCatalog.Create(name)); // warm-up: JIT
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                Simulator.Run(dictionary, trace, PolicyCatalog.Create(name));
                var wall = clock.Elapsed.TotalSeconds;
                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                rows.Add((name, wall, cpu));
                io.Error.WriteLine($"  {name}: {wall:0.000} s ({cpu:0.000} s of CPU)");
            }
            Write(io, parsed.GetValue(format) == "csv", rows, trace.Count, fleet.Workers.Count);
            return 0;
        });
        var reevaluateTestbed = Options.Testbed();
        var reevaluatePolicy = new Option<string>("--policy") { Description = "The policy whose round is timed", DefaultValueFactory = _ => "synergai" };
        var reevaluateFree = new Option<double?>("--free")
        {
            Description = "Fraction of the workers free at the round (default: about 1%, every 97th), e.g. 1 for an idle fleet",
        }.Must(x => x is null || (double.IsFinite(x.Value) && x >= 0 && x <= 1), "must be between 0 and 1");
        var reevaluate = new Command("reevaluate",
            "Time one full round of a policy (SynergAI: evaluate, order, bind): 1,000 queued jobs × 100 workers, 10,000 × 1,000 "
            + "and 100,000 × 10,000, every query count distinct, the workers copies of the testbed's workers, all busy but a few")
        {
            reevaluateTestbed, reevaluatePolicy, reevaluateFree,
        };
        reevaluate.SetAction(parsed =>
        {
            var kinds = Options.LoadTestbed(parsed, reevaluateTestbed);
            var policy = PolicyCatalog.Parse(parsed.GetValue(reevaluatePolicy)!) is [var one] ? one
                : throw new ArgumentException("--policy takes one policy name");
            foreach (var (jobCount, workerCount, column) in new[] { (1_000, 100, "reeval_1k_x_100"), (10_000, 1_000, "reeval_10k_x_1k"), (100_000, 10_000, "reeval_100k_x_10k") })
            {
                var (wall, cpu) = Reevaluation(kinds, policy, jobCount, workerCount, parsed.GetValue(reevaluateFree));
                io.Out.WriteLine($"{column}_ms,{wall.ToString("0.0", CultureInfo.InvariantCulture)}");
                io.Out.WriteLine($"{column}_cpu_ms,{cpu.ToString("0.0", CultureInfo.InvariantCulture)}");
            }
            return 0;
        });
        var forecastTestbed = Options.Testbed();
        var forecast = new Command("forecast",
            "Time one forecast (the pool's policy run forward until every waiting job is placed), one admission check and one "
            + "quote: 1,000 waiting jobs on 100 workers, copies of the testbed's, all busy")
        {
            forecastTestbed,
        };
        forecast.SetAction(parsed =>
        {
            var result = ForecastBench.Run(Options.LoadTestbed(parsed, forecastTestbed), 1_000, 100);
            io.Error.WriteLine($"forecast of 1,000 waiting jobs on 100 workers: {result.Late} predicted to miss their deadline");
            foreach (var (name, timing) in new[] { ("forecast", result.Forecast), ("admission", result.Admission), ("quote", result.Quote) })
            {
                io.Out.WriteLine($"{name}_1k_x_100_ms,{timing.Milliseconds.ToString("0.0", CultureInfo.InvariantCulture)}");
                io.Out.WriteLine($"{name}_1k_x_100_cpu_ms,{timing.CpuMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)}");
            }
            return 0;
        });
        return new Command("bench", "Benchmarks that print figures") { simulate, reevaluate, forecast };
    }

    /// <summary>The median over 10 rounds (after 10 to warm up: the JIT tiers a method up only after 30 calls or a hot loop,
    /// and a running dispatcher is long past that) of one round of the policy, in milliseconds of wall time and of the
    /// process's CPU time (which other work on a busy machine does not inflate). Each round
    /// re-evaluates every job and binds the few free workers; placements are not applied, so every round is alike.</summary>
    static (double WallMs, double CpuMs) Reevaluation(Testbed kinds, string policyName, int jobCount, int workerCount, double? free = null)
    {
        var fleet = BenchmarkWorkload.Fleet(kinds, workerCount);
        var dictionary = new ConfigurationDictionary(fleet);
        var book = new PoolBook(PolicyCatalog.Create(policyName));
        for (var w = 0; w < workerCount; w++)
            book.SetWorker(fleet.Workers[w], dictionary.ClassOf(w).ToString(CultureInfo.InvariantCulture), dictionary.DefaultStrength(w));
        var random = new Random(1);
        const double now = 1000;
        for (var j = 0; j < jobCount; j++)
        {
            var engine = dictionary.Engines[random.Next(dictionary.Engines.Count)];
            book.Arrive(QueuedJob.Create(new Job($"job-{j}", random.NextDouble() * now, engine, 100 + j, 500 + random.NextDouble() * 2000), dictionary), now);
        }
        for (var w = 0; w < workerCount; w++)
        {
            var busy = free is { } f ? Math.Floor((w + 1) * f) == Math.Floor(w * f) : w % 97 != 5;
            if (busy) book.MarkBusy(w, "busy", 0, now + random.NextDouble() * 1000);
        }

        var policy = book.Policy;
        var times = new List<double>();
        var cpu = new List<double>();
        using var process = Process.GetCurrentProcess();
        for (var round = 0; round < 20; round++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            policy.Schedule(book.Context(now));
            var elapsed = clock.Elapsed.TotalMilliseconds;
            process.Refresh();
            if (round < 10) continue;
            times.Add(elapsed);
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }
        times.Sort();
        cpu.Sort();
        return (times[times.Count / 2], cpu[cpu.Count / 2]);
    }

    /// <summary>seconds: wall time; cpu_s: the process's CPU time over the run (all its threads, the garbage collector's
    /// included), which other work on a busy machine does not inflate.</summary>
    static void Write(CliIo io, bool csv, List<(string Policy, double Seconds, double CpuSeconds)> rows, int jobs, int workers)
    {
        if (csv)
        {
            using var writer = new CsvWriter(io.Out, CultureInfo.InvariantCulture, leaveOpen: true);
            foreach (var column in new[] { "policy", "jobs", "workers", "seconds", "jobs_per_s", "cpu_s" }) writer.WriteField(column);
            writer.NextRecord();
            foreach (var (policy, seconds, cpu) in rows)
            {
                writer.WriteField(policy);
                writer.WriteField(jobs);
                writer.WriteField(workers);
                writer.WriteField(seconds.ToString("0.000", CultureInfo.InvariantCulture));
                writer.WriteField((jobs / seconds).ToString("0", CultureInfo.InvariantCulture));
                writer.WriteField(cpu.ToString("0.000", CultureInfo.InvariantCulture));
                writer.NextRecord();
            }
            return;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumns("policy", "jobs", "workers", "seconds", "jobs/s", "CPU s");
        foreach (var (policy, seconds, cpu) in rows)
            table.AddRow(policy, jobs.ToString(CultureInfo.InvariantCulture), workers.ToString(CultureInfo.InvariantCulture),
                seconds.ToString("0.000", CultureInfo.InvariantCulture), (jobs / seconds).ToString("N0", CultureInfo.InvariantCulture),
                cpu.ToString("0.000", CultureInfo.InvariantCulture));
        io.Tables.Write(table);
    }
}
