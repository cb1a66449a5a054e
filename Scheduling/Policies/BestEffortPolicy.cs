namespace SynergAI.Scheduling.Policies;

/// <summary>Best Effort (BE): from the strongest worker to the weakest, the first free one. Strength is
/// <see cref="WorkerState.Strength"/>: the mean QPS over the engines a worker runs, in its default configuration.</summary>
public sealed class BestEffortPolicy : FifoPolicy
{
    public override string Name => "be";

    protected override (WorkerState, string) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context) =>
        (candidates.MaxBy(w => w.Strength)!, "strongest free worker");
}
