using System.Globalization;

namespace SynergAI.Scheduling.Policies;

/// <summary>
/// SLO-MAEL (Seo et al., ACM TACO 18(4), 2021, doi 10.1145/3460352) without model slicing, as the project interprets
/// it (spec §4; the paper is not fully public):
/// <list type="bullet">
/// <item>each worker has its own queue in deadline order (earliest absolute deadline first); a job is bound to a worker
/// the moment it arrives and never moves; all estimates use the workers' default configurations;</item>
/// <item>a job's expected latency on worker w = time left of w's running job + estimates of the jobs ahead of it in
/// w's queue + its own estimate, counted from its submission;</item>
/// <item>on arrival the job is tried in every worker's queue; among the insertions that make no job miss its deadline
/// it takes the one with the minimum average expected latency over all queued jobs; if there is none, the one that
/// makes the fewest jobs miss, then the minimum average.</item>
/// </list>
/// Only the candidate worker's queue changes with an insertion, so each candidate is scored by the change it makes.
/// </summary>
public sealed class SloMaelPolicy : ISchedulingPolicy
{
    public string Name => "slo-mael";

    public bool BindsOnArrival => true;

    public void OnArrival(QueuedJob job, SchedulingContext context)
    {
        var queues = QueuesByWorker(context, except: job);
        var queuedCount = queues.Sum(q => q.Count) + 1;
        var totalBefore = 0.0;
        var missesBefore = 0;
        foreach (var worker in context.Workers)
        {
            var (latency, misses) = Expected(queues[worker.Index], worker, context.Now);
            totalBefore += latency;
            missesBefore += misses;
        }

        (int Worker, int NewMisses, double Average)? best = null;
        foreach (var worker in context.Workers)
        {
            if (job.Defaults[worker.Class] is null) continue;
            var queue = queues[worker.Index];
            var (before, missedBefore) = Expected(queue, worker, context.Now);
            queue.Insert(InsertionPoint(queue, job), job);
            var (after, missedAfter) = Expected(queue, worker, context.Now);
            queue.Remove(job);

            var candidate = (worker.Index, missedAfter - missedBefore, (totalBefore - before + after) / queuedCount);
            if (best is null || (candidate.Item2, candidate.Item3).CompareTo((best.Value.NewMisses, best.Value.Average)) < 0)
                best = candidate;
        }
        if (best is null) throw new InvalidOperationException($"no worker can run engine '{job.Job.Engine}' of job '{job.Job.Id}'");
        job.BoundWorker = best.Value.Worker;
        job.Waits(WaitCode.WaitsForBoundWorker, best.Value.NewMisses == 0
            ? $"bound on arrival: minimum average expected latency ({best.Value.Average.ToString("0.0", CultureInfo.InvariantCulture)} s), no deadline missed"
            : $"bound on arrival: fewest expected misses ({best.Value.NewMisses}), then minimum average expected latency");
    }

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var placements = new List<Placement>();
        var queues = QueuesByWorker(context, except: null);
        foreach (var worker in context.Workers)
        {
            var queue = queues[worker.Index];
            if (queue.Count == 0) continue;
            if (!worker.IsFree)
            {
                foreach (var job in queue) job.Waits(WaitCode.WaitsForBoundWorker, $"in the deadline-ordered queue of busy worker '{worker.Worker.Name}'");
                continue;
            }
            var head = queue[0];
            var estimate = head.Defaults[worker.Class]!.Value;
            placements.Add(new Placement(head, worker.Index, estimate.Config, estimate.Seconds, "earliest deadline in the queue of the worker it was bound to on arrival"));
        }
        return placements;
    }

    /// <summary>Each worker's queue: the jobs bound to it, earliest deadline first (ties in arrival order).</summary>
    static List<QueuedJob>[] QueuesByWorker(SchedulingContext context, QueuedJob? except)
    {
        var queues = context.Workers.Select(_ => new List<QueuedJob>()).ToArray();
        foreach (var job in context.Queue)
            if (job != except && job.BoundWorker >= 0) queues[job.BoundWorker].Add(job);
        return [.. queues.Select(q => q.OrderBy(j => j.Job.DeadlineSeconds).ToList())];
    }

    static int InsertionPoint(List<QueuedJob> queue, QueuedJob job)
    {
        var i = 0;
        while (i < queue.Count && queue[i].Job.DeadlineSeconds <= job.Job.DeadlineSeconds) i++;
        return i;
    }

    /// <summary>Sum of the expected latencies of <paramref name="queue"/>'s jobs on <paramref name="worker"/>, and how many miss.</summary>
    static (double Latency, int Misses) Expected(List<QueuedJob> queue, WorkerState worker, double now)
    {
        var finish = now + worker.RemainingSeconds(now);
        var latency = 0.0;
        var misses = 0;
        foreach (var job in queue)
        {
            finish += job.Defaults[worker.Class]!.Value.Seconds;
            latency += finish - job.Job.ArrivalSeconds;
            if (finish > job.Job.DeadlineSeconds) misses++;
        }
        return (latency, misses);
    }
}
