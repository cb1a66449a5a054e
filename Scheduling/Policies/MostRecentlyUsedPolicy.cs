namespace SynergAI.Scheduling.Policies;

/// <summary>Most Recently Used (MRU): the free worker that was active most recently (never used counts as least recent).</summary>
public sealed class MostRecentlyUsedPolicy : FifoPolicy
{
    public override string Name => "mru";

    protected override (WorkerState, string) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context) =>
        (candidates.MaxBy(w => w.LastFreeAt)!, "free worker active most recently");
}
