using System.Globalization;

namespace SynergAI.Scheduling.Policies;

/// <summary>
/// SynergAI's online phase (thesis ch. 6, spec §3), in three steps:
/// <list type="number">
/// <item><b>Evaluate</b> every queued job: <c>T_remaining = T_qos − T_waiting</c>; the acceptable classes of worker are
/// those whose <c>T_est</c> (in their optimal configuration) fits in it; urgency is <c>T_remaining − T_est</c> on the
/// fastest class.</item>
/// <item><b>Order</b> the queue by urgency, most urgent first; jobs with no acceptable class go behind every job
/// that can still make its deadline.</item>
/// <item><b>Bind</b>: each job in order takes the lowest free worker of its acceptable classes, fastest class first,
/// in that class's <c>c*</c>; if none is free it waits. Then jobs that can no longer make it take a free worker of the
/// class with the smallest <c>T_est</c>: a worker left free at that point is one no feasible job is waiting for.</item>
/// </list>
/// A round costs per job about the number of classes, not of workers (see <see cref="FreeWorkers"/>).
/// </summary>
public sealed class SynergAiPolicy : ISchedulingPolicy
{
    public string Name => "synergai";

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var queue = context.Queue;
        var free = context.Free;

        foreach (var job in queue) Evaluate(job, context.Now, free);
        if (free.Count == 0 || queue.Count == 0)
        {
            foreach (var job in queue) job.Waits(WaitCode.AllWorkersBusy);
            return [];
        }

        var round = new Round(free);
        var placements = new List<Placement>();
        foreach (var job in Order(queue))
        {
            if (round.Left == 0) { job.Waits(WaitCode.AllWorkersBusy); continue; }
            var placement = job.AcceptableClasses > 0 ? BindFeasible(job, round) : BindLate(job, round);
            if (placement is not null) placements.Add(placement);
        }
        return placements;
    }

    /// <summary>Eqs. 6.1-6.4: the acceptable classes are a prefix of the job's fastest-first estimates.</summary>
    static void Evaluate(QueuedJob job, double now, FreeWorkers free)
    {
        var remaining = job.Job.QosSeconds - (now - job.Job.ArrivalSeconds);
        var fastest = job.FastestFirst;
        var acceptable = 0;
        var workers = 0;
        while (acceptable < fastest.Count && fastest[acceptable].Seconds <= remaining) workers += free.Members(fastest[acceptable++].Class);
        job.AcceptableClasses = acceptable;
        job.AcceptableWorkers = workers;
        job.Urgency = remaining - fastest[0].Seconds;
    }

    /// <summary>Feasible jobs first, each group most urgent first; ties keep arrival order.</summary>
    static QueuedJob[] Order(IReadOnlyList<QueuedJob> queue)
    {
        var ordered = queue.ToArray();
        var keys = new (bool Late, double Urgency, int Arrival)[ordered.Length];
        for (var i = 0; i < ordered.Length; i++) keys[i] = (ordered[i].AcceptableClasses == 0, ordered[i].Urgency, i);
        Array.Sort(keys, ordered);
        return ordered;
    }

    static Placement? BindFeasible(QueuedJob job, Round round)
    {
        for (var rank = 0; rank < job.AcceptableClasses; rank++)
        {
            var estimate = job.FastestFirst[rank];
            if (!round.HasFree(estimate.Class)) continue;
            var why = rank == 0
                ? $"fastest worker meeting the deadline (T_est {F(estimate.Seconds)} s, slack {F(job.Urgency)} s)"
                : $"acceptable worker {rank + 1} of {job.AcceptableClasses}, faster ones busy (T_est {F(estimate.Seconds)} s)";
            return new Placement(job, round.Take(estimate.Class), estimate.Config, estimate.Seconds, why);
        }
        // A free worker that runs the engine but too slowly: the job is held for one that meets its deadline.
        var slowerFree = false;
        for (var rank = job.AcceptableClasses; rank < job.FastestFirst.Count && !slowerFree; rank++) slowerFree = round.HasFree(job.FastestFirst[rank].Class);
        // The code's own words (no per-job text: a round may leave thousands waiting); the count is AcceptableWorkers.
        job.Waits(slowerFree ? WaitCode.HeldForFasterWorker : WaitCode.AllAcceptableWorkersBusy);
        return null;
    }

    static Placement? BindLate(QueuedJob job, Round round)
    {
        foreach (var estimate in job.FastestFirst)
            if (round.HasFree(estimate.Class))
                return new Placement(job, round.Take(estimate.Class), estimate.Config, estimate.Seconds,
                    $"no worker can meet the deadline (short by {F(-job.Urgency)} s); fastest free worker");
        job.Waits(WaitCode.DeadlineUnreachable);
        return null;
    }

    static string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>This round's scratch: the free workers it has not taken yet. A round always takes the lowest free
    /// worker of a class, so what it took of a class is a prefix of that class's free workers.</summary>
    sealed class Round(FreeWorkers free)
    {
        readonly int[] _taken = new int[free.ClassCount];
        readonly IEnumerator<int>?[] _next = new IEnumerator<int>?[free.ClassCount];

        public int Left { get; private set; } = free.Count;

        public bool HasFree(int @class) => @class < _taken.Length && _taken[@class] < free.InClass(@class).Count;

        public int Take(int @class)
        {
            var next = _next[@class] ??= free.InClass(@class).GetEnumerator();
            next.MoveNext();
            _taken[@class]++;
            Left--;
            return next.Current;
        }
    }
}
