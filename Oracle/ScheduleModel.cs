using Google.OrTools.Sat;

namespace SynergAI.Oracle;

/// <summary>
/// The CP-SAT model of scheduling a set of jobs on the workers, shared by <see cref="ClairvoyantOracle"/> and
/// <see cref="ReplanningOptimum"/>: each job runs once, non-preemptively, on one of its <see cref="Choice"/>s, starting no
/// earlier than it arrives, than <c>fromMs</c> and than its worker is free; one job per worker at a time. Per job a
/// literal "late" (allowed only when it starts after its choice's latest on-time start) and its excess past the
/// deadline, for the objectives.
/// </summary>
internal sealed class ScheduleModel
{
    public CpModel Model { get; } = new();
    public IntVar[] Starts { get; }
    public BoolVar[] Late { get; }
    public IntVar[] Excess { get; }
    public BoolVar[][] Chosen { get; }
    /// <summary>No sensible schedule ends later: every job one after another once the last job has arrived and the
    /// last worker is free.</summary>
    public long HorizonMs { get; }

    /// <param name="freeAtMs">Per worker of the testbed, when it is free to start a job.</param>
    public ScheduleModel(IReadOnlyList<JobChoices> jobs, IReadOnlyList<long> freeAtMs, long fromMs = 0)
    {
        HorizonMs = Math.Max(jobs.Max(j => Math.Max(j.ArrivalMs, fromMs)), freeAtMs.DefaultIfEmpty(0).Max())
            + jobs.Sum(j => j.Choices.Max(c => c.DurationMs));
        Starts = new IntVar[jobs.Count];
        Late = new BoolVar[jobs.Count];
        Excess = new IntVar[jobs.Count];
        Chosen = new BoolVar[jobs.Count][];
        var perWorker = freeAtMs.Select(_ => new List<IntervalVar>()).ToArray();
        for (var j = 0; j < jobs.Count; j++)
        {
            var job = jobs[j];
            var start = Starts[j] = Model.NewIntVar(Math.Max(job.ArrivalMs, fromMs), HorizonMs, $"start_{j}");
            Late[j] = Model.NewBoolVar($"late_{j}");
            Excess[j] = Model.NewIntVar(0, 2 * HorizonMs, $"excess_{j}");
            Chosen[j] = new BoolVar[job.Choices.Count];
            for (var c = 0; c < job.Choices.Count; c++)
            {
                var choice = job.Choices[c];
                var on = Chosen[j][c] = Model.NewBoolVar($"on_{j}_{choice.Worker}");
                perWorker[choice.Worker].Add(Model.NewOptionalFixedSizeIntervalVar(start, choice.DurationMs, on, $"run_{j}_{choice.Worker}"));
                if (freeAtMs[choice.Worker] > Math.Max(job.ArrivalMs, fromMs)) Model.Add(start >= freeAtMs[choice.Worker]).OnlyEnforceIf(on);
                Model.Add(start <= choice.LatestOnTimeStartMs).OnlyEnforceIf([on, Late[j].Not()]);
                Model.Add(Excess[j] >= start + choice.DurationMs - job.DeadlineMs).OnlyEnforceIf(on);
            }
            Model.AddExactlyOne(Chosen[j]);
        }
        foreach (var intervals in perWorker.Where(i => i.Count > 1)) Model.AddNoOverlap(intervals);
    }

    /// <summary>Solves the model as it stands; Unknown means the time ran out before the solver found (or beat the
    /// hint of) a schedule.</summary>
    public (CpSolverStatus Status, CpSolver Solver) Solve(OracleOptions options, double seconds)
    {
        var threads = options.Threads > 0 ? options.Threads : Math.Clamp(Environment.ProcessorCount, 1, 8);
        var solver = new CpSolver
        {
            StringParameters = FormattableString.Invariant($"max_time_in_seconds:{seconds:0.###} num_workers:{threads}"),
        };
        var status = solver.Solve(Model);
        // Every set of jobs has a schedule (one after another), so anything else is a bug in the model.
        if (status is CpSolverStatus.Infeasible or CpSolverStatus.ModelInvalid)
            throw new InvalidOperationException($"CP-SAT found the schedule model {status}: {Model.Validate()}");
        return (status, solver);
    }

    /// <summary>A complete hint: the schedule and what follows from it.</summary>
    public void Hint(IReadOnlyList<JobChoices> jobs, long[] starts, int[] choices)
    {
        Model.ClearHints();
        for (var j = 0; j < Starts.Length; j++)
        {
            var choice = jobs[j].Choices[choices[j]];
            Model.AddHint(Starts[j], starts[j]);
            Model.AddHint(Late[j], starts[j] > choice.LatestOnTimeStartMs ? 1 : 0);
            Model.AddHint(Excess[j], Math.Max(0, starts[j] + choice.DurationMs - jobs[j].DeadlineMs));
            for (var c = 0; c < Chosen[j].Length; c++) Model.AddHint(Chosen[j][c], c == choices[j] ? 1 : 0);
        }
    }

    /// <summary>The solver's schedule: each job's start and the index of its choice.</summary>
    public (long[] Starts, int[] Choices) Read(CpSolver solver) =>
        (Starts.Select(solver.Value).ToArray(),
         Chosen.Select(options => Array.FindIndex(options, on => solver.BooleanValue(on))).ToArray());

    /// <summary>A first schedule: in arrival order (ties by deadline), each job on the worker that finishes it soonest.</summary>
    public static (long[] Starts, int[] Choices) Greedy(IReadOnlyList<JobChoices> jobs, IReadOnlyList<long> freeAtMs, long fromMs = 0)
    {
        var freeAt = freeAtMs.ToArray();
        var starts = new long[jobs.Count];
        var choices = new int[jobs.Count];
        foreach (var j in Enumerable.Range(0, jobs.Count).OrderBy(j => jobs[j].ArrivalMs).ThenBy(j => jobs[j].DeadlineMs))
        {
            var job = jobs[j];
            var release = Math.Max(job.ArrivalMs, fromMs);
            choices[j] = Enumerable.Range(0, job.Choices.Count)
                .MinBy(c => Math.Max(freeAt[job.Choices[c].Worker], release) + job.Choices[c].DurationMs);
            var choice = job.Choices[choices[j]];
            starts[j] = Math.Max(freeAt[choice.Worker], release);
            freeAt[choice.Worker] = starts[j] + choice.DurationMs;
        }
        return (starts, choices);
    }
}
