using System.Globalization;

namespace SynergAI.Scheduling.Policies;

/// <summary>
/// SynergAI's online phase (thesis ch. 6, spec §3), in three steps:
/// <list type="number">
/// <item><b>Evaluate</b> every queued job: <c>T_remaining = T_qos − T_waiting</c>; the acceptable workers are those whose
/// <c>T_est</c> (in their optimal configuration) fits in it; urgency is <c>T_remaining − T_est</c> on the fastest worker.</item>
/// <item><b>Order</b> the queue by urgency, most urgent first; jobs with no acceptable worker go behind every job
/// that can still make its deadline.</item>
/// <item><b>Bind</b>: each job in order takes the first free worker of its acceptable workers, fastest first, in that
/// worker's <c>c*</c>; if none is free it waits. Then jobs that can no longer make it take the free worker with the
/// smallest <c>T_est</c>: a worker left free at that point is one no feasible job is waiting for.</item>
/// </list>
/// </summary>
public sealed class SynergAiPolicy : ISchedulingPolicy
{
    public string Name => "synergai";

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var queue = context.Queue;
        var free = context.Workers.Select(w => w.IsFree).ToArray();
        var freeCount = free.Count(f => f);

        foreach (var job in queue) Evaluate(job, context.Now);
        if (freeCount == 0 || queue.Count == 0)
        {
            foreach (var job in queue) job.WaitReason = "all workers busy";
            return [];
        }

        var placements = new List<Placement>();
        foreach (var job in Order(queue))
        {
            if (freeCount == 0) { job.WaitReason = "all workers busy"; continue; }
            var placement = job.AcceptableWorkers > 0 ? BindFeasible(job, free) : BindLate(job, free);
            if (placement is null) continue;
            placements.Add(placement);
            free[placement.Worker] = false;
            freeCount--;
        }
        return placements;
    }

    /// <summary>Eqs. 6.1-6.4: the acceptable workers are a prefix of the job's fastest-first estimates.</summary>
    static void Evaluate(QueuedJob job, double now)
    {
        var remaining = job.Job.QosSeconds - (now - job.Job.ArrivalSeconds);
        var acceptable = 0;
        while (acceptable < job.FastestFirst.Count && job.FastestFirst[acceptable].Seconds <= remaining) acceptable++;
        job.AcceptableWorkers = acceptable;
        job.Urgency = remaining - job.FastestFirst[0].Seconds;
    }

    /// <summary>Feasible jobs first, each group most urgent first; ties keep arrival order.</summary>
    static QueuedJob[] Order(IReadOnlyList<QueuedJob> queue)
    {
        var ordered = queue.ToArray();
        var keys = new (bool Late, double Urgency, int Arrival)[ordered.Length];
        for (var i = 0; i < ordered.Length; i++) keys[i] = (ordered[i].AcceptableWorkers == 0, ordered[i].Urgency, i);
        Array.Sort(keys, ordered);
        return ordered;
    }

    static Placement? BindFeasible(QueuedJob job, bool[] free)
    {
        for (var rank = 0; rank < job.AcceptableWorkers; rank++)
        {
            var estimate = job.FastestFirst[rank];
            if (!free[estimate.Worker]) continue;
            var why = rank == 0
                ? $"fastest worker meeting the deadline (T_est {F(estimate.Seconds)} s, slack {F(job.Urgency)} s)"
                : $"acceptable worker {rank + 1} of {job.AcceptableWorkers}, faster ones busy (T_est {F(estimate.Seconds)} s)";
            return new Placement(job, estimate.Worker, estimate.Config, estimate.Seconds, why);
        }
        job.WaitReason = $"all {job.AcceptableWorkers} workers that meet the deadline are busy";
        return null;
    }

    static Placement? BindLate(QueuedJob job, bool[] free)
    {
        foreach (var estimate in job.FastestFirst)
            if (free[estimate.Worker])
                return new Placement(job, estimate.Worker, estimate.Config, estimate.Seconds,
                    $"no worker can meet the deadline (short by {F(-job.Urgency)} s); fastest free worker");
        job.WaitReason = "deadline already lost; no worker that can run the engine is free";
        return null;
    }

    static string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture);
}
