using System.CommandLine;
using Spectre.Console;
using SynergAI.Cli.Output;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Cli.Commands;

/// <summary>
/// <c>synergai experiment</c>: runs policies in the simulator, either on one trace (<c>--trace FILE</c>, or
/// <c>--experiment X --seed S</c>) with one row per policy, or on seeds 1..N of each experiment with means and 95% CIs.
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create(CliIo io)
    {
        var experiment = new Option<string>("--experiment") { Description = "DL-FL, DL-FH, DH-FL, DH-FH or all", DefaultValueFactory = _ => "all" };
        var policies = Options.Policies();
        var seeds = new Option<int>("--seeds") { Description = "Run seeds 1..N of each experiment and report mean ± 95% CI", DefaultValueFactory = _ => 30 }
            .Must(n => n >= 1, "must be at least 1");
        var seed = new Option<int?>("--seed") { Description = "Run the single trace of this seed instead of a range of seeds" };
        var trace = new Option<string?>("--trace") { Description = "Run this trace file (job,arrival_s,engine,queries,qos_s)" };
        var testbed = Options.Testbed();
        var noise = new Option<double>("--noise") { Description = "Run-time noise: LogNormal spread, e.g. 0.05 ≈ ±5% (default 0: runs take exactly their estimate)" }
            .Must(x => double.IsFinite(x) && x >= 0, "must be a finite number ≥ 0");
        var reevaluation = new Option<double>("--reevaluation-interval") { Description = "Seconds of trace time between periodic re-evaluations", DefaultValueFactory = _ => 1 }
            .Must(x => double.IsFinite(x) && x > 0, "must be a positive number of seconds");
        var admission = new Option<string>("--admission")
        {
            Description = "accept (default), reject or best-effort: under reject an arriving job the forecast says will miss its deadline is refused "
                + "(it has no outcome; violations count the accepted jobs); under best-effort it is admitted flagged, and gets only the workers "
                + "a round leaves after every unflagged job",
            DefaultValueFactory = _ => "accept",
        };
        admission.AcceptOnlyFromAmong("accept", "reject", "best-effort");
        var drift = new Option<string[]>("--drift")
        {
            Description = "WORKER=FACTOR[@TIME]: that worker's real run times are FACTOR × its profile's from TIME (trace seconds, default 0) on; repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var learn = new Option<bool>("--learn") { Description = "Estimates learn from measured runs (median correction per worker class, engine and configuration)" };
        var format = Options.Format("table", "csv");
        var plot = new Option<string?>("--plot") { Description = "Write a PNG chart of violations per policy and experiment, with 95% CIs" };
        var jobsOut = new Option<string?>("--jobs-out") { Description = "Write one CSV row per job and policy (single-trace runs)" };
        var live = new Option<bool>("--live") { Description = "Run the single trace through the real cluster (the pool's simulated executor) instead of the simulator" };
        var arrivals = Options.Arrivals();
        var oracle = new Option<bool>("--oracle") { Description = "Add the clairvoyant optimum (CP-SAT) as a row 'oracle' of every table" };
        var oracleSeconds = OracleCommand.Seconds("--oracle-seconds", "With --oracle: time limit of each trace's solve");
        var oracleThreads = OracleCommand.Threads("--oracle-threads");
        var replan = OracleCommand.ReplanOption();
        var replanSeconds = OracleCommand.ReplanSeconds();
        var fleet = new Option<string>("--fleet")
        {
            Description = "reference (the testbed itself), or generated fleets no policy was tuned on, one per seed: scaled (4-9 scaled copies "
                + "of the testbed's workers, its engines) or varied (2-5 classes of 1-6 workers, 3-8 engines of their own, other query counts); "
                + "with --oracle, per-fleet rows and each policy's distance to the optimum",
            DefaultValueFactory = _ => "reference",
        };
        fleet.AcceptOnlyFromAmong("reference", "scaled", "varied");
        var quotes = new Option<bool>("--quotes") { Description = "With --live: quote each job just before submitting it and print how well the quotes predicted its end (median and p90 error)" };
        var timeScale = new Option<double>("--time-scale") { Description = "With --live: real seconds per trace second", DefaultValueFactory = _ => 0.01 }
            .Must(x => double.IsFinite(x) && x > 0, "must be a positive number");

        var command = new Command("experiment", "Compare SynergAI with the baselines on the thesis's experiments or on a trace")
        {
            experiment, policies, seeds, seed, trace, testbed, noise, reevaluation, format, plot, jobsOut, live, timeScale, admission, drift, learn,
            arrivals, oracle, oracleSeconds, oracleThreads, replan, replanSeconds, fleet, quotes,
        };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) =>
        {
            if (!parsed.GetValue(live))
            {
                foreach (var option in new Option[] { timeScale, quotes, cluster.Gateway, cluster.Pool })
                    if (parsed.GetResult(option) is { Implicit: false }) throw new ArgumentException($"{option.Name} goes with --live");
                return Task.FromResult(Offline(parsed));
            }
            var bed = Options.LoadTestbed(parsed, testbed);
            var tracePath = parsed.GetValue(trace);
            var singleSeed = parsed.GetValue(seed);
            foreach (var option in new Option[] { oracle, oracleSeconds, oracleThreads, replan, replanSeconds })
                if (parsed.GetResult(option) is { Implicit: false }) throw new ArgumentException($"{option.Name} goes with simulator runs, not --live");
            foreach (var option in new Option[] { seeds, noise, plot, admission, drift, learn, fleet })
                if (parsed.GetResult(option) is { Implicit: false })
                    throw new ArgumentException($"{option.Name} does not go with --live (the silo's executor settings decide run-time noise)");
            if (tracePath is not null && (parsed.GetResult(experiment) is { Implicit: false } || singleSeed is not null))
                throw new ArgumentException("give either --trace FILE or --experiment X --seed S, not both");
            RejectArrivalsWithTrace(parsed, tracePath);
            if (tracePath is null && singleSeed is null) throw new ArgumentException("--live runs one trace: add --trace FILE or --experiment X --seed S");
            List<Job> jobs;
            if (tracePath is not null) jobs = TraceFile.Load(tracePath, bed);
            else
            {
                var chosen = Experiment.Parse(parsed.GetValue(experiment)!);
                if (chosen.Count != 1) throw new ArgumentException("--seed runs one experiment; name it with --experiment");
                jobs = TraceGenerator.Generate(chosen[0], bed, singleSeed!.Value, arrivals: ArrivalsOf(parsed));
            }
            var names = PolicyCatalog.Parse(parsed.GetValue(policies)!);
            var settings = new LiveExperiment.Settings(cluster.PoolOf(parsed), parsed.GetValue(timeScale), parsed.GetValue(reevaluation),
                parsed.GetValue(format) == "csv", parsed.GetValue(jobsOut), parsed.GetValue(quotes));
            return cluster.RunAsync(parsed, io, cancel, (client, token) => LiveExperiment.RunAsync(io, client, jobs, names, settings, token));
        });

        int Offline(ParseResult parsed)
        {
            var bed = Options.LoadTestbed(parsed, testbed);
            var names = PolicyCatalog.Parse(parsed.GetValue(policies)!);
            var tracePath = parsed.GetValue(trace);
            var singleSeed = parsed.GetValue(seed);
            var experimentGiven = parsed.GetResult(experiment) is { Implicit: false };
            var csv = parsed.GetValue(format) == "csv";
            var options = new SimulationOptions(parsed.GetValue(noise), singleSeed ?? 1, parsed.GetValue(reevaluation),
                [.. (parsed.GetValue(drift) ?? []).Select(WorkerDrift.Parse)], Admission.Parse(parsed.GetValue(admission)!), parsed.GetValue(learn));
            foreach (var d in options.Drift)
                if (!bed.Workers.Any(w => w.Name == d.Worker))
                    throw new ArgumentException($"--drift names worker '{d.Worker}', which is not in the testbed; known: {string.Join(", ", bed.Workers.Select(w => w.Name))}");
            RejectArrivalsWithTrace(parsed, tracePath);
            foreach (var option in new Option[] { oracleSeconds, oracleThreads })
                if (!parsed.GetValue(oracle) && parsed.GetResult(option) is { Implicit: false }) throw new ArgumentException($"{option.Name} goes with --oracle");
            // The oracle runs every job, each for its profiled time times its noise factor: drifting workers and
            // rejected arrivals are outside its model.
            if (parsed.GetValue(oracle) && (options.Drift.Count > 0 || options.Admission != Scheduling.Forecast.AdmissionMode.Accept))
                throw new ArgumentException("--oracle goes with neither --drift nor --admission other than accept");
            var lookaheads = OracleCommand.Lookaheads(parsed.GetValue(replan));
            if (lookaheads.Count == 0 && parsed.GetResult(replanSeconds) is { Implicit: false }) throw new ArgumentException("--replan-seconds goes with --replan");
            // Like the oracle, the re-planner plans from the profile: drifting workers and admission are outside it.
            if (lookaheads.Count > 0 && (options.Drift.Count > 0 || options.Admission != Scheduling.Forecast.AdmissionMode.Accept || options.Learn))
                throw new ArgumentException("--replan goes with neither --drift, --learn nor --admission other than accept");
            if (parsed.GetValue(fleet) is "scaled" or "varied")
            {
                foreach (var option in new Option[] { trace, seed, plot, jobsOut, drift, admission })
                    if (parsed.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{option.Name} does not go with --fleet {parsed.GetValue(fleet)} (one generated fleet and trace per seed)");
                RunFleets(io, bed, parsed.GetValue(fleet) == "varied" ? FleetShape.Varied : FleetShape.Scaled, Experiment.Parse(parsed.GetValue(experiment)!),
                    ArrivalsOf(parsed), names, parsed.GetValue(seeds), options, csv,
                    parsed.GetValue(oracle) ? OracleCommand.Bounded(parsed.GetValue(oracleSeconds), parsed.GetValue(oracleThreads)) : null,
                    [.. lookaheads.Select(l => OracleCommand.ReplanOnFleets(l, parsed.GetValue(replanSeconds)))]);
                return 0;
            }
            var oracleRow = parsed.GetValue(oracle) ? new OracleCommand.Row(bed, parsed.GetValue(oracleSeconds), parsed.GetValue(oracleThreads)) : null;
            IReadOnlyList<ExperimentRunner.OfflineSchedule> replanRows = [.. lookaheads.Select(l => OracleCommand.ReplanRow(bed, l, parsed.GetValue(replanSeconds)))];

            if (tracePath is not null || singleSeed is not null)
            {
                if (parsed.GetValue(plot) is not null) throw new ArgumentException("--plot charts a range of seeds; drop --trace/--seed");
                if (tracePath is not null && (experimentGiven || singleSeed is not null))
                    throw new ArgumentException("give either --trace FILE or --experiment X --seed S, not both");
                List<Job> jobs;
                if (tracePath is not null) jobs = TraceFile.Load(tracePath, bed);
                else
                {
                    var chosen = Experiment.Parse(parsed.GetValue(experiment)!);
                    if (chosen.Count != 1) throw new ArgumentException("--seed runs one experiment; name it with --experiment");
                    jobs = TraceGenerator.Generate(chosen[0], bed, singleSeed!.Value, arrivals: ArrivalsOf(parsed));
                }
                RunOneTrace(io, bed, jobs, names, options, csv, parsed.GetValue(jobsOut), oracleRow, replanRows);
                return 0;
            }

            if (parsed.GetValue(jobsOut) is not null) throw new ArgumentException("--jobs-out needs a single trace: add --trace FILE or --seed S");
            RunSeeds(io, bed, Experiment.Parse(parsed.GetValue(experiment)!), names, parsed.GetValue(seeds), options, csv, parsed.GetValue(plot),
                ArrivalsOf(parsed), oracleRow, replanRows);
            return 0;
        }

        ArrivalProcess ArrivalsOf(ParseResult parsed) => ArrivalProcesses.Parse(parsed.GetValue(arrivals)!);

        void RejectArrivalsWithTrace(ParseResult parsed, string? tracePath)
        {
            if (tracePath is not null && parsed.GetResult(arrivals) is { Implicit: false })
                throw new ArgumentException("--arrivals shapes generated traces; a --trace file has its own arrivals");
        }
        return command;
    }

    static void RunOneTrace(CliIo io, Testbed testbed, List<Job> jobs, IReadOnlyList<string> policies,
        SimulationOptions options, bool csv, string? jobsOut, OracleCommand.Row? oracle, IReadOnlyList<ExperimentRunner.OfflineSchedule> yardsticks)
    {
        if (jobsOut is not null) CliIo.CheckWritable(jobsOut, "--jobs-out");
        var dictionary = new ConfigurationDictionary(testbed);
        var runs = policies.Select(p => (Policy: p, Outcomes: Simulator.Run(dictionary, jobs, PolicyCatalog.Create(p), options))).ToList();
        runs.AddRange(yardsticks.Select(y => (y.Name, y.Solve(jobs, options))));
        if (oracle is not null)
        {
            runs.Add((oracle.Schedule.Name, oracle.Schedule.Solve(jobs, options)));
            io.Error.WriteLine(oracle.Summary);
        }
        if (jobsOut is not null) CliIo.WriteFileAtomically(jobsOut, path => ResultFiles.WriteJobs(path, runs));
        if (options.Admission != AdmissionMode.Accept)
            foreach (var (policy, outcomes) in runs)
                io.Error.WriteLine($"{policy}: admitted {outcomes.Count} of {jobs.Count} jobs" + (options.Admission == AdmissionMode.BestEffort
                    ? $", {outcomes.Count(o => o.BestEffort)} flagged best-effort; violations of the unflagged {outcomes.Count(o => o.Violated && !o.BestEffort)}"
                    : ""));
        var rows = runs.Select(r => (r.Policy, RunMetrics.From(r.Outcomes))).ToList();
        if (csv) ResultFiles.WriteRunMetrics(io.Out, rows);
        else ResultTables.WriteRunMetrics(io.Tables, rows);
    }

    static void RunSeeds(CliIo io, Testbed testbed, IReadOnlyList<Experiment> experiments, IReadOnlyList<string> policies,
        int seeds, SimulationOptions options, bool csv, string? plot, ArrivalProcess arrivals, OracleCommand.Row? oracle,
        IReadOnlyList<ExperimentRunner.OfflineSchedule> yardsticks)
    {
        if (plot is not null) CliIo.CheckWritable(plot, "--plot"); // before the computation, not after it
        io.Error.WriteLine($"running {experiments.Count} experiment(s) × {policies.Count} policies × {seeds} seeds, {arrivals.Name()} arrivals" +
                           (options.Noise > 0 ? $", noise {options.Noise}" : "") + string.Concat(yardsticks.Select(y => $", {y.Name}"))
                           + (oracle is null ? "" : ", and the oracle"));
        IReadOnlyList<ExperimentRunner.OfflineSchedule> offline = oracle is null ? yardsticks : [.. yardsticks, oracle.Schedule];
        var results = new List<(Experiment, IReadOnlyList<ExperimentRunner.PolicySummary>)>();
        void RunAll(Action tick)
        {
            foreach (var experiment in experiments)
                results.Add((experiment, ExperimentRunner.Run(testbed, experiment, policies, seeds, options, tick, arrivals, offline)));
        }
        if (io.Progress is { } console)
            console.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("simulating", maxValue: experiments.Count * (policies.Count + offline.Count) * seeds);
                RunAll(() => task.Increment(1));
            });
        else
        {
            // No terminal for a progress bar: a line on stderr at every 10% and at least every 5 s, so a long run shows it lives.
            var total = experiments.Count * (policies.Count + offline.Count) * seeds;
            var step = Math.Max(1, total / 10);
            var done = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            RunAll(() =>
            {
                var now = Interlocked.Increment(ref done);
                lock (clock)
                {
                    if (now % step != 0 && now != total && clock.Elapsed - lastReport < TimeSpan.FromSeconds(5)) return;
                    lastReport = clock.Elapsed;
                    io.Error.WriteLine(FormattableString.Invariant($"  {now}/{total} runs ({100.0 * now / total:0}%) after {lastReport.TotalSeconds:0.0} s"));
                }
            });
        }
        if (oracle is not null) io.Error.WriteLine(oracle.Summary);

        if (options.Admission != AdmissionMode.Accept)
            foreach (var (experiment, summaries) in results)
                foreach (var summary in summaries)
                    io.Error.WriteLine($"{experiment.Name} {summary.Policy}: admitted {summary.Runs.Average(r => r.Jobs):0.0} jobs per trace on average" +
                        (options.Admission == AdmissionMode.BestEffort
                            ? FormattableString.Invariant($", {summary.Runs.Average(r => r.Flagged):0.0} flagged best-effort; violations of the unflagged {summary.Summary(r => r.ViolationsUnflagged).Mean:0.###} ± {summary.Summary(r => r.ViolationsUnflagged).HalfWidth:0.###}")
                            : ""));
        if (plot is not null) CliIo.WriteFileAtomically(plot, path => ViolationsChart.Write(path, results, jobsPerTrace: 2 * testbed.Engines.Count(),
            conditions: $"{arrivals.Name()} arrivals, " + (options.Noise > 0 ? $"noise {options.Noise}" : "no noise")));
        if (csv) ResultFiles.WriteSummaries(io.Out, results);
        else foreach (var (experiment, summaries) in results) ResultTables.WriteSummaries(io.Tables, experiment, summaries, seeds);
    }

    /// <summary><c>--fleet scaled|varied</c>: one generated fleet and trace per seed and experiment; per-fleet violations
    /// (and the optimum's value, lower bound and status with <c>--oracle</c>), then each policy's distance to the optimum.</summary>
    static void RunFleets(CliIo io, Testbed kinds, FleetShape shape, IReadOnlyList<Experiment> experiments, ArrivalProcess arrivals,
        IReadOnlyList<string> policies, int seeds, SimulationOptions options, bool csv,
        Func<Testbed, IReadOnlyList<Job>, SimulationOptions, FleetRunner.Bounded>? optimum, IReadOnlyList<FleetRunner.Yardstick> yardsticks)
    {
        io.Error.WriteLine($"{experiments.Count * seeds} generated {shape.ToString().ToLowerInvariant()} fleet(s) ({experiments.Count} experiment(s) × {seeds} seeds), "
            + $"{arrivals.Name()} arrivals" + (options.Noise > 0 ? $", noise {options.Noise}" : "") + $", {policies.Count} policies"
            + string.Concat(yardsticks.Select(y => $", {y.Name}")) + (optimum is null ? "" : " and the oracle"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var done = 0;
        var rows = policies.Concat(yardsticks.Select(y => y.Name)).ToList();
        var runs = FleetRunner.Run(kinds, shape, experiments, arrivals, policies, seeds, options, optimum, yardsticks: yardsticks, onFleetDone: run =>
        {
            done++;
            io.Error.WriteLine(FormattableString.Invariant($"  {done}/{experiments.Count * seeds} {run.Experiment.Name} seed {run.Seed}: {run.Workers} workers, ")
                + string.Join(", ", run.Violations.Select(v => $"{v.Key} {v.Value}"))
                + (run.Optimum is { } o ? $", oracle {o.Violations} (bound {o.LowerBound}{(o.Proven ? "" : ", not proven")})" : "")
                + FormattableString.Invariant($" after {clock.Elapsed.TotalSeconds:0} s"));
        });
        var distances = optimum is null ? [] : rows.SelectMany(p =>
            experiments.Select(e => FleetRunner.DistanceOf(p, [.. runs.Where(r => r.Experiment == e)], e))
                .Append(FleetRunner.DistanceOf(p, runs))).ToList();
        if (optimum is not null && runs.Count(r => !r.Optimum!.Proven) is var unproven and > 0)
            io.Error.WriteLine($"oracle: {runs.Count - unproven} of {runs.Count} solves proven optimal; the other {unproven} are flagged "
                + "(status FEASIBLE) and their ratios are given against the proven lower bound as well");
        if (csv) ResultFiles.WriteFleets(io.Out, runs, rows, distances);
        else ResultTables.WriteFleets(io.Tables, runs, rows, distances);
    }
}
