using System.CommandLine;
using System.Globalization;
using SynergAI.Cli.Output;
using SynergAI.Oracle;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai oracle --trace FILE</c>: the clairvoyant optimum of a trace (CP-SAT), as one CSV row
/// <c>violations,lower_bound,excess_s,status,solve_s</c>, and optionally its schedule.</summary>
internal static class OracleCommand
{
    public static Option<double> Seconds(string name, string description, double defaultSeconds = 10) =>
        new Option<double>(name) { Description = description, DefaultValueFactory = _ => defaultSeconds }
            .Must(x => double.IsFinite(x) && x > 0, "must be a positive number of seconds");

    public static Option<int> Threads(string name) =>
        new Option<int>(name) { Description = "CP-SAT search threads (0: the machine's cores, at most 8; 1 makes a time-limited solve repeatable)", DefaultValueFactory = _ => 0 }
            .Must(n => n >= 0, "must be 0 or more");

    public static Command Create(CliIo io)
    {
        var testbed = Options.Testbed();
        var trace = new Option<string>("--trace") { Description = "The trace file (job,arrival_s,engine,queries,qos_s)", Required = true };
        var seconds = Seconds("--seconds", "Time limit of the solve; past it the best schedule found is reported with the proven lower bound");
        var threads = Threads("--threads");
        var scheduleOut = new Option<string?>("--schedule-out") { Description = "Write the schedule: job,worker,config,start_s,end_s,violated" };
        var command = new Command("oracle", "The clairvoyant optimum of a trace: fewest violations, then least total excess (CP-SAT)")
        {
            testbed, trace, seconds, threads, scheduleOut,
        };
        command.SetAction(parsed =>
        {
            var bed = Options.LoadTestbed(parsed, testbed);
            var jobs = TraceFile.Load(parsed.GetValue(trace)!, bed);
            var result = ClairvoyantOracle.Solve(bed, jobs, new OracleOptions(parsed.GetValue(seconds), parsed.GetValue(threads)));
            if (parsed.GetValue(scheduleOut) is { } path) CliIo.WriteFileAtomically(path, file => ResultFiles.WriteSchedule(file, result.Schedule));
            io.Out.WriteLine("violations,lower_bound,excess_s,status,solve_s");
            io.Out.WriteLine(string.Join(',', result.Violations.ToString(CultureInfo.InvariantCulture),
                result.ViolationsLowerBound.ToString(CultureInfo.InvariantCulture), ResultFiles.Seconds(result.ExcessSeconds),
                result.Status.ToString().ToUpperInvariant(), ResultFiles.Seconds(result.SolveSeconds)));
            return 0;
        });
        return command;
    }

    /// <summary>The oracle as a row of <c>synergai experiment</c>: clairvoyant of each seed's noise too, and counting
    /// how many of its solves were proven optimal.</summary>
    public sealed class Row(Testbed testbed, double seconds, int threads = 0)
    {
        int _solves, _optimal, _boundGap;

        public ExperimentRunner.OfflineSchedule Schedule => new("oracle", (trace, options) =>
        {
            var result = ClairvoyantOracle.Solve(testbed, trace, new OracleOptions(seconds, threads), Simulator.NoiseFactors(trace, options));
            _solves++;
            if (result.Status == OracleStatus.Optimal) _optimal++;
            _boundGap += result.Violations - result.ViolationsLowerBound;
            return result.Schedule;
        });

        /// <summary>One line for stderr on how exact the oracle rows are.</summary>
        public string Summary => _solves == _optimal
            ? $"oracle: all {_solves} solves proven optimal"
            : $"oracle: {_optimal} of {_solves} solves proven optimal; the others are the best found in {seconds:0.##} s, " +
              $"{_boundGap} violation(s) in all above their proven lower bounds";
    }

    /// <summary>The oracle for <c>experiment --fleet</c>: each generated fleet's trace, clairvoyant of its noise.</summary>
    public static Func<Testbed, IReadOnlyList<Job>, SimulationOptions, FleetRunner.Bounded> Bounded(double seconds, int threads) =>
        (fleet, trace, options) =>
        {
            var result = ClairvoyantOracle.Solve(fleet, trace, new OracleOptions(seconds, threads), Simulator.NoiseFactors(trace, options));
            return new FleetRunner.Bounded(result.Violations, result.ViolationsLowerBound, result.Status == OracleStatus.Optimal, result.ExcessSeconds);
        };

    /// <summary><c>experiment --replan S[,S…]</c>: each lookahead, in seconds (0: the jobs known so far only).</summary>
    public static Option<string?> ReplanOption() => new("--replan")
    {
        Description = "Add the re-planning optimum as rows: at every change, CP-SAT's exact schedule of the waiting jobs, plus the trace's "
            + "arrivals of the next S seconds (0: only the jobs known so far, the best an online planner could do; S > 0: what a perfect "
            + "forecast that far ahead would be worth); comma-separated lookaheads, e.g. 0,15,60. Slow: a solve per round",
    };

    public static Option<double> ReplanSeconds() => Seconds("--replan-seconds", "With --replan: time limit of each round's solve (one thread)", defaultSeconds: 1);

    /// <summary>The lookaheads of <c>--replan</c>, or none.</summary>
    public static IReadOnlyList<double> Lookaheads(string? value)
    {
        if (value is null) return [];
        return [.. value.Split(',', StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s) && s >= 0
                ? s
                : throw new ArgumentException($"--replan takes lookaheads in seconds ≥ 0, comma-separated (e.g. 0,15,60); got '{part}'"))];
    }

    /// <summary>The re-planning optimum as a row of the reference experiments' tables: the fleet's yardstick on the testbed.</summary>
    public static ExperimentRunner.OfflineSchedule ReplanRow(Testbed bed, double lookahead, double seconds)
    {
        var yardstick = ReplanOnFleets(lookahead, seconds);
        return new(yardstick.Name, (trace, options) => yardstick.Run(bed, trace, options));
    }

    /// <summary>The re-planning optimum on each generated fleet.</summary>
    public static FleetRunner.Yardstick ReplanOnFleets(double lookahead, double seconds) =>
        new(ReplanningOptimum.NameFor(lookahead), (fleet, trace, options) => Simulator.Run(new ConfigurationDictionary(fleet), trace,
            new ReplanningOptimum(fleet, new OracleOptions(seconds, Threads: 1), lookahead, trace), options));
}
