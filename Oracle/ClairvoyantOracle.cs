using System.Diagnostics;
using Google.OrTools.Sat;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Oracle;

/// <summary>
/// The clairvoyant optimum of a trace: every arrival and every run time known in advance. Each job runs once,
/// non-preemptively, on one worker in any configuration profiled for its engine there, starting no earlier than it
/// arrives; a worker runs one job at a time. Lexicographic objective, solved in two CP-SAT stages: first the fewest
/// QoS violations, then, keeping that many, the least total excess past the deadlines.
/// <para>Time is in whole milliseconds. Starts are whole milliseconds; a run time (<c>T_pre + q/QPS</c>, times the
/// job's noise factor when one is given, exactly as the simulator computes it) occupies its worker for that time
/// rounded up to the millisecond; a job counts as on time exactly when the simulator would count it so (its real end
/// is within its QoS). The optimum is therefore exact when run times are whole milliseconds and otherwise at most
/// 1 ms per job pessimistic.</para>
/// </summary>
public static class ClairvoyantOracle
{
    const double Millis = 1000;

    /// <param name="runTimeFactors">Each job's run-time noise factor (see <see cref="Simulator.NoiseFactors"/>);
    /// null for none.</param>
    public static OracleResult Solve(Testbed testbed, IReadOnlyList<Job> trace, OracleOptions? options = null,
        IReadOnlyDictionary<string, double>? runTimeFactors = null)
    {
        options ??= OracleOptions.Default;
        if (!(options.TimeLimitSeconds > 0) || !double.IsFinite(options.TimeLimitSeconds))
            throw new ArgumentOutOfRangeException(nameof(options), $"the time limit must be a positive number of seconds, got {options.TimeLimitSeconds}");
        if (trace.Count == 0) throw new ArgumentException("the trace has no jobs", nameof(trace));
        var clock = Stopwatch.StartNew();
        var jobs = trace.Select(j => JobChoices.Of(j, testbed, runTimeFactors?.GetValueOrDefault(j.Id, 1.0) ?? 1.0)).ToArray();

        // Every job one after another from the last arrival bounds any sensible schedule.
        var horizon = jobs.Max(j => j.ArrivalMs) + jobs.Sum(j => j.Choices.Max(c => c.DurationMs));
        var model = new CpModel();
        var starts = new IntVar[jobs.Length];
        var late = new BoolVar[jobs.Length];
        var excess = new IntVar[jobs.Length];
        var chosen = new BoolVar[jobs.Length][];
        var perWorker = testbed.Workers.Select(_ => new List<IntervalVar>()).ToArray();
        for (var j = 0; j < jobs.Length; j++)
        {
            var job = jobs[j];
            starts[j] = model.NewIntVar(job.ArrivalMs, horizon, $"start_{j}");
            late[j] = model.NewBoolVar($"late_{j}");
            excess[j] = model.NewIntVar(0, 2 * horizon, $"excess_{j}");
            chosen[j] = new BoolVar[job.Choices.Count];
            for (var c = 0; c < job.Choices.Count; c++)
            {
                var choice = job.Choices[c];
                var on = chosen[j][c] = model.NewBoolVar($"on_{j}_{choice.Worker}");
                perWorker[choice.Worker].Add(model.NewOptionalFixedSizeIntervalVar(starts[j], choice.DurationMs, on, $"run_{j}_{choice.Worker}"));
                model.Add(starts[j] <= choice.LatestOnTimeStartMs).OnlyEnforceIf([on, late[j].Not()]);
                model.Add(excess[j] >= starts[j] + choice.DurationMs - job.DeadlineMs).OnlyEnforceIf(on);
            }
            model.AddExactlyOne(chosen[j]);
        }
        foreach (var intervals in perWorker.Where(i => i.Count > 1)) model.AddNoOverlap(intervals);

        // Stage 1: fewest violations. Stage 2: no more violations than stage 1 found, least total excess. Each stage
        // starts from the best schedule known so far: at first a greedy one, so there is always an answer.
        var (bestStarts, bestChoices) = Greedy(jobs, testbed.Workers.Count);
        Hint(model, jobs, starts, late, excess, chosen, bestStarts, bestChoices);
        model.Minimize(LinearExpr.Sum(late));
        var (status, solver) = Run(model, options, options.TimeLimitSeconds * 0.6);
        var violationsOptimal = status == CpSolverStatus.Optimal;
        var lowerBound = 0;
        if (status is CpSolverStatus.Optimal or CpSolverStatus.Feasible)
        {
            lowerBound = (int)Math.Ceiling(solver.BestObjectiveBound - 1e-6);
            (bestStarts, bestChoices) = Read(solver, starts, chosen);
        }
        var fewest = late.Select((_, j) => jobs[j].Choices[bestChoices[j]].LatestOnTimeStartMs < bestStarts[j] ? 1 : 0).Sum();

        model.Add(LinearExpr.Sum(late) <= fewest);
        model.Minimize(LinearExpr.Sum(excess));
        Hint(model, jobs, starts, late, excess, chosen, bestStarts, bestChoices);
        var remaining = Math.Max(options.TimeLimitSeconds - clock.Elapsed.TotalSeconds, 0.05 * options.TimeLimitSeconds);
        var (second, solver2) = Run(model, options, remaining);
        var excessOptimal = second == CpSolverStatus.Optimal;
        if (second is CpSolverStatus.Optimal or CpSolverStatus.Feasible) (bestStarts, bestChoices) = Read(solver2, starts, chosen);

        var schedule = new List<JobOutcome>(jobs.Length);
        for (var j = 0; j < jobs.Length; j++)
        {
            var choice = jobs[j].Choices[bestChoices[j]];
            var start = bestStarts[j] / Millis;
            schedule.Add(new JobOutcome(jobs[j].Job, testbed.Workers[choice.Worker].Name, choice.Config, start,
                start + choice.RunSeconds, "clairvoyant optimum"));
        }
        var violations = schedule.Count(o => o.Violated);
        return new OracleResult(violationsOptimal && excessOptimal ? OracleStatus.Optimal : OracleStatus.Feasible,
            violations, lowerBound, schedule.Sum(o => o.ExcessSeconds), clock.Elapsed.TotalSeconds, schedule);
    }

    /// <summary>One stage; Unknown means the time ran out before the solver beat the hint.</summary>
    static (CpSolverStatus, CpSolver) Run(CpModel model, OracleOptions options, double seconds)
    {
        var threads = options.Threads > 0 ? options.Threads : Math.Clamp(Environment.ProcessorCount, 1, 8);
        var solver = new CpSolver
        {
            StringParameters = FormattableString.Invariant($"max_time_in_seconds:{seconds:0.###} num_workers:{threads}"),
        };
        var status = solver.Solve(model);
        // Every trace has a schedule (the greedy one), so anything else is a bug in the model.
        if (status is CpSolverStatus.Infeasible or CpSolverStatus.ModelInvalid)
            throw new InvalidOperationException($"CP-SAT found the oracle's model {status}: {model.Validate()}");
        return (status, solver);
    }

    /// <summary>A complete hint: the schedule and what follows from it.</summary>
    static void Hint(CpModel model, JobChoices[] jobs, IntVar[] starts, BoolVar[] late, IntVar[] excess, BoolVar[][] chosen,
        long[] bestStarts, int[] bestChoices)
    {
        model.ClearHints();
        for (var j = 0; j < starts.Length; j++)
        {
            var choice = jobs[j].Choices[bestChoices[j]];
            model.AddHint(starts[j], bestStarts[j]);
            model.AddHint(late[j], bestStarts[j] > choice.LatestOnTimeStartMs ? 1 : 0);
            model.AddHint(excess[j], Math.Max(0, bestStarts[j] + choice.DurationMs - jobs[j].DeadlineMs));
            for (var c = 0; c < chosen[j].Length; c++) model.AddHint(chosen[j][c], c == bestChoices[j] ? 1 : 0);
        }
    }

    /// <summary>A first schedule: in arrival order (ties by deadline), each job on the worker that finishes it soonest.</summary>
    static (long[] Starts, int[] Choices) Greedy(JobChoices[] jobs, int workers)
    {
        var freeAt = new long[workers];
        var starts = new long[jobs.Length];
        var choices = new int[jobs.Length];
        foreach (var j in Enumerable.Range(0, jobs.Length).OrderBy(j => jobs[j].ArrivalMs).ThenBy(j => jobs[j].DeadlineMs))
        {
            var job = jobs[j];
            choices[j] = Enumerable.Range(0, job.Choices.Count)
                .MinBy(c => Math.Max(freeAt[job.Choices[c].Worker], job.ArrivalMs) + job.Choices[c].DurationMs);
            var choice = job.Choices[choices[j]];
            starts[j] = Math.Max(freeAt[choice.Worker], job.ArrivalMs);
            freeAt[choice.Worker] = starts[j] + choice.DurationMs;
        }
        return (starts, choices);
    }

    static (long[] Starts, int[] Choices) Read(CpSolver solver, IntVar[] starts, BoolVar[][] chosen) =>
        (starts.Select(solver.Value).ToArray(),
         chosen.Select(options => Array.FindIndex(options, on => solver.BooleanValue(on))).ToArray());

    /// <summary>A job in milliseconds with the ways it can run: on each worker that can run its engine, the
    /// configuration with the shortest run time there. A longer configuration on the same worker can never do better
    /// (it only ends later and holds the worker longer), so the other configurations are left out of the model.</summary>
    sealed record JobChoices(Job Job, long ArrivalMs, long DeadlineMs, IReadOnlyList<Choice> Choices)
    {
        public static JobChoices Of(Job job, Testbed testbed, double factor)
        {
            var arrivalMs = (long)Math.Ceiling(job.ArrivalSeconds * Millis - 1e-6);
            var deadlineMs = (long)Math.Round(job.DeadlineSeconds * Millis);
            var choices = new List<Choice>();
            for (var w = 0; w < testbed.Workers.Count; w++)
            {
                var name = testbed.Workers[w].Name;
                var best = testbed.Profile.Where(p => p.Worker == name && p.Engine == job.Engine)
                    .MinBy(p => (p.EstimateSeconds(job.Queries), p.Config), Comparer<(double, string)>.Create((a, b) =>
                        a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2)));
                if (best is null) continue;
                var run = best.EstimateSeconds(job.Queries) * factor;
                choices.Add(new Choice(w, best.Config, run, (long)Math.Ceiling(run * Millis - 1e-6),
                    LatestOnTimeStart(job, run, arrivalMs)));
            }
            if (choices.Count == 0) throw new KeyNotFoundException($"job '{job.Id}': no worker has a profile for engine '{job.Engine}'");
            return new JobChoices(job, arrivalMs, deadlineMs, choices);
        }

        /// <summary>The last whole millisecond at which the job can start and still meet its QoS, judged exactly as
        /// <see cref="JobOutcome.Violated"/> judges it; below the arrival when it cannot make it at all.</summary>
        static long LatestOnTimeStart(Job job, double run, long arrivalMs)
        {
            bool OnTime(long startMs) => !(startMs / Millis + run - job.ArrivalSeconds > job.QosSeconds);
            var latest = (long)Math.Floor((job.DeadlineSeconds - run) * Millis);
            while (latest >= arrivalMs && !OnTime(latest)) latest--;
            while (OnTime(latest + 1)) latest++;
            return Math.Max(latest, arrivalMs - 1);
        }
    }

    sealed record Choice(int Worker, string Config, double RunSeconds, long DurationMs, long LatestOnTimeStartMs);
}
