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

        var model = new ScheduleModel(jobs, new long[testbed.Workers.Count]);
        var late = model.Late;

        // Stage 1: fewest violations. Stage 2: no more violations than stage 1 found, least total excess. Each stage
        // starts from the best schedule known so far: at first a greedy one, so there is always an answer.
        var (bestStarts, bestChoices) = ScheduleModel.Greedy(jobs, new long[testbed.Workers.Count]);
        model.Hint(jobs, bestStarts, bestChoices);
        model.Model.Minimize(LinearExpr.Sum(late));
        var (status, solver) = model.Solve(options, options.TimeLimitSeconds * 0.6);
        var violationsOptimal = status == CpSolverStatus.Optimal;
        var lowerBound = 0;
        if (status is CpSolverStatus.Optimal or CpSolverStatus.Feasible)
        {
            lowerBound = (int)Math.Ceiling(solver.BestObjectiveBound - 1e-6);
            (bestStarts, bestChoices) = model.Read(solver);
        }
        var fewest = late.Select((_, j) => jobs[j].Choices[bestChoices[j]].LatestOnTimeStartMs < bestStarts[j] ? 1 : 0).Sum();

        model.Model.Add(LinearExpr.Sum(late) <= fewest);
        model.Model.Minimize(LinearExpr.Sum(model.Excess));
        model.Hint(jobs, bestStarts, bestChoices);
        var remaining = Math.Max(options.TimeLimitSeconds - clock.Elapsed.TotalSeconds, 0.05 * options.TimeLimitSeconds);
        var (second, solver2) = model.Solve(options, remaining);
        var excessOptimal = second == CpSolverStatus.Optimal;
        if (second is CpSolverStatus.Optimal or CpSolverStatus.Feasible) (bestStarts, bestChoices) = model.Read(solver2);

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
}
