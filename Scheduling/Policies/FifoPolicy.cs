namespace SynergAI.Scheduling.Policies;

/// <summary>
/// The shape shared by RR, LRU, MRU and BE (thesis §7.1): a FIFO queue; each job in arrival order takes the free
/// worker that the policy's rule picks, in that worker's default configuration. A job whose engine no free worker
/// can run lets the jobs behind it go first.
/// </summary>
public abstract class FifoPolicy : ISchedulingPolicy
{
    public abstract string Name { get; }

    public virtual ISchedulingPolicy Copy() => PolicyCatalog.Create(Name);

    /// <summary>The rule: one of <paramref name="candidates"/> (free, able to run the job; never empty), and why.</summary>
    protected abstract (WorkerState Worker, string Reason) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context);

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var free = context.Free.All.Select(w => context.Workers[w]).ToList(); // ascending index, as the rules break ties
        var placements = new List<Placement>();
        foreach (var job in context.Queue)
        {
            if (free.Count == 0) { job.Waits(WaitCode.AllWorkersBusy); continue; }
            var candidates = free.Where(w => job.Defaults[w.Class] is not null).ToList();
            if (candidates.Count == 0) { job.Waits(WaitCode.NoFreeWorkerForEngine); continue; }
            var (worker, why) = Choose(candidates, context);
            var estimate = job.Defaults[worker.Class]!.Value;
            placements.Add(new Placement(job, worker.Index, estimate.Config, estimate.Seconds, why));
            free.Remove(worker);
        }
        return placements;
    }
}
