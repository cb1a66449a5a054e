namespace SynergAI.Scheduling.Policies;

/// <summary>Round Robin (RR): the next worker in circular order that is free; busy ones are skipped.</summary>
public sealed class RoundRobinPolicy : FifoPolicy
{
    int _next;

    public override string Name => "rr";

    public override ISchedulingPolicy Copy() => new RoundRobinPolicy { _next = _next };

    protected override (WorkerState, string) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context)
    {
        var n = context.Workers.Count;
        var chosen = candidates.MinBy(w => (w.Index - _next + n) % n)!;
        _next = (chosen.Index + 1) % n;
        return (chosen, "next free worker in circular order");
    }
}
