namespace SynergAI.Scheduling.Policies;

/// <summary>Strict Round Robin (SRR): each arriving job is bound to the next worker in circular order (that can run
/// its engine) and waits for that worker, however long; jobs run in arrival order on each worker.</summary>
public sealed class StrictRoundRobinPolicy : ISchedulingPolicy
{
    int _next;
    /// <summary>Each worker's wait reason, made once: a long queue would otherwise make a string per job per round.</summary>
    readonly Dictionary<string, string> _waitReasons = new(StringComparer.Ordinal);

    public string Name => "srr";

    public bool BindsOnArrival => true;

    public ISchedulingPolicy Copy() => new StrictRoundRobinPolicy { _next = _next };

    public void OnArrival(QueuedJob job, SchedulingContext context)
    {
        var n = context.Workers.Count;
        for (var step = 0; step < n; step++)
        {
            var w = (_next + step) % n;
            if (job.Defaults[context.Workers[w].Class] is null) continue;
            job.BoundWorker = w;
            _next = (w + 1) % n;
            return;
        }
        throw new InvalidOperationException($"no worker can run engine '{job.Job.Engine}' of job '{job.Job.Id}'");
    }

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var free = context.Workers.Select(w => w.IsFree).ToArray();
        var placements = new List<Placement>();
        foreach (var job in context.Queue)
        {
            if (!free[job.BoundWorker])
            {
                var name = context.Workers[job.BoundWorker].Worker.Name;
                if (!_waitReasons.TryGetValue(name, out var reason)) _waitReasons.Add(name, reason = $"waits for its worker '{name}'");
                job.Waits(WaitCode.WaitsForBoundWorker, reason);
                continue;
            }
            var estimate = job.Defaults[context.Workers[job.BoundWorker].Class]!.Value;
            placements.Add(new Placement(job, job.BoundWorker, estimate.Config, estimate.Seconds, "its turn on the worker it was bound to on arrival"));
            free[job.BoundWorker] = false;
        }
        return placements;
    }
}
