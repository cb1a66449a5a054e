namespace SynergAI.Scheduling.Policies;

/// <summary>Least Recently Used (LRU): the free worker that has been idle the longest (never used counts as longest).</summary>
public sealed class LeastRecentlyUsedPolicy : FifoPolicy
{
    public override string Name => "lru";

    protected override (WorkerState, string) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context) =>
        (candidates.MinBy(w => w.LastFreeAt)!, "free worker idle the longest");
}
