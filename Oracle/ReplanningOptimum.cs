using System.Globalization;
using Google.OrTools.Sat;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Oracle;

/// <summary>
/// A yardstick between the online policies and the clairvoyant oracle: the best an online planner could do with what
/// it knows. At every round in which the waiting jobs or the busy workers changed, it solves exactly (CP-SAT, the
/// <see cref="ScheduleModel"/> of the oracle: fewest violations, then least total excess) the schedule of the waiting
/// jobs on the workers as they are (a busy one free at its running job's expected end), packs that schedule as early
/// as its order on each worker allows, and starts what it starts now. With a lookahead of L seconds it also knows the
/// trace's arrivals of the next L seconds, which no online policy does: what a perfect forecast of arrivals that far
/// ahead would be worth. Estimates are the profile's (no noise); each job's configuration on a worker is the one that
/// finishes it soonest, as in the oracle. Not in the policy catalog: a solve per round is far beyond the decision
/// budget, and it reads the testbed's profile and (with a lookahead) the trace.
/// </summary>
/// <param name="testbed">The fleet, its workers in the order the simulator's pool has them.</param>
/// <param name="options">Each round's solve: its time limit (past it, the best schedule found) and threads.</param>
public sealed class ReplanningOptimum(Testbed testbed, OracleOptions options, double lookaheadSeconds = 0, IReadOnlyList<Job>? trace = null)
    : ISchedulingPolicy
{
    const double Millis = 1000;
    readonly IReadOnlyList<Job> _ahead = lookaheadSeconds > 0
        ? trace ?? throw new ArgumentException("a lookahead needs the trace whose arrivals it looks at", nameof(trace))
        : [];
    readonly Dictionary<string, JobChoices> _choices = [];
    string _state = "";
    Dictionary<string, (Choice Choice, long StartMs)> _plan = [];

    public string Name => NameFor(lookaheadSeconds);

    /// <summary><c>replan</c>, or <c>replan+15s</c> with a lookahead of 15 s.</summary>
    public static string NameFor(double lookaheadSeconds) =>
        lookaheadSeconds > 0 ? $"replan+{lookaheadSeconds.ToString(CultureInfo.InvariantCulture)}s" : "replan";

    /// <summary>How many rounds solved a new schedule.</summary>
    public int Solves { get; private set; }

    public ISchedulingPolicy Copy() => new ReplanningOptimum(testbed, options, lookaheadSeconds, trace);

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        if (context.Queue.Count == 0 || context.Free.Count == 0) return [];
        var nowMs = (long)Math.Ceiling(context.Now * Millis - 1e-6);
        var state = string.Join(',', context.Queue.Select(q => q.Job.Id)) + "|" + string.Join(',', context.Workers.Select(w => w.RunningJob ?? ""));
        if (state != _state)
        {
            _state = state;
            _plan = Plan(context, nowMs);
        }
        var placements = new List<Placement>();
        var taken = new HashSet<int>();
        var optimum = $"the optimum of the {_plan.Count} jobs known{(lookaheadSeconds > 0 ? " or arriving soon" : "")}";
        foreach (var job in context.Queue)
        {
            var (choice, startMs) = _plan[job.Job.Id];
            var worker = context.Workers[choice.Worker];
            if (startMs <= nowMs && worker.IsFree && taken.Add(choice.Worker))
                placements.Add(new Placement(job, choice.Worker, choice.Config, choice.RunSeconds, $"{optimum} starts it now on {worker.Worker.Name}"));
            else
                job.WaitReason = $"{optimum} starts it on {worker.Worker.Name} at {(Math.Max(startMs, nowMs) / Millis).ToString("0.0", CultureInfo.InvariantCulture)} s";
        }
        return placements;
    }

    Dictionary<string, (Choice, long)> Plan(SchedulingContext context, long nowMs)
    {
        Solves++;
        var jobs = context.Queue.Select(q => Choices(q.Job)).ToList();
        jobs.AddRange(_ahead.Where(j => j.ArrivalSeconds > context.Now && j.ArrivalSeconds <= context.Now + lookaheadSeconds).Select(Choices));
        var freeAt = context.Workers.Select(w => w.IsFree ? nowMs : Math.Max(nowMs + 1, (long)Math.Ceiling(w.ExpectedFreeAt * Millis - 1e-6))).ToArray();

        var model = new ScheduleModel(jobs, freeAt, nowMs);
        var (starts, chosen) = ScheduleModel.Greedy(jobs, freeAt, nowMs);
        model.Hint(jobs, starts, chosen);
        // Stage 1, lexicographic in one objective: fewest violations (one outweighs any total excess, each at most
        // twice the horizon), then least excess. Stage 2, as good as that: the jobs end soonest in all, which keeps the
        // workers free for what comes (otherwise a tie would leave it to the solver).
        var perViolation = 2 * model.HorizonMs * jobs.Count + 1;
        var objective = LinearExpr.Sum(model.Late) * perViolation + LinearExpr.Sum(model.Excess);
        model.Model.Minimize(objective);
        var (status, solver) = model.Solve(options, options.TimeLimitSeconds * 0.6);
        if (status is CpSolverStatus.Optimal or CpSolverStatus.Feasible)
        {
            (starts, chosen) = model.Read(solver);
            model.Model.Add(objective <= (long)Math.Round(solver.ObjectiveValue));
            model.Model.Minimize(LinearExpr.Sum(model.Starts) + LinearExpr.Sum(model.Chosen.Select((on, j) =>
                LinearExpr.WeightedSum(on, jobs[j].Choices.Select(c => c.DurationMs)))));
            model.Hint(jobs, starts, chosen);
            var (second, solver2) = model.Solve(options, options.TimeLimitSeconds * 0.4);
            if (second is CpSolverStatus.Optimal or CpSolverStatus.Feasible) (starts, chosen) = model.Read(solver2);
        }

        // Packed: on each worker, in the schedule's order, each job as early as it, the worker and the one before allow.
        // Nothing ends later, so no job is later than in the schedule.
        var plan = new Dictionary<string, (Choice, long)>(jobs.Count);
        foreach (var onWorker in Enumerable.Range(0, jobs.Count).GroupBy(j => jobs[j].Choices[chosen[j]].Worker))
        {
            var at = freeAt[onWorker.Key];
            foreach (var j in onWorker.OrderBy(j => starts[j]))
            {
                var choice = jobs[j].Choices[chosen[j]];
                var start = Math.Max(at, Math.Max(jobs[j].ArrivalMs, nowMs));
                plan[jobs[j].Job.Id] = (choice, start);
                at = start + choice.DurationMs;
            }
        }
        return plan;
    }

    JobChoices Choices(Job job)
    {
        if (!_choices.TryGetValue(job.Id, out var choices)) _choices[job.Id] = choices = JobChoices.Of(job, testbed, 1.0);
        return choices;
    }
}
