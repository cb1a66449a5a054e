namespace SynergAI.Scheduling.Policies;

/// <summary>Best Effort (BE): from the strongest worker to the weakest, the first free one. Strength is the mean
/// QPS over the engines a worker runs, in its default configuration.</summary>
public sealed class BestEffortPolicy(ConfigurationDictionary dictionary) : FifoPolicy
{
    readonly double[] _strength = [.. Enumerable.Range(0, dictionary.Workers.Count).Select(w =>
        Enumerable.Range(0, dictionary.Engines.Count)
            .Select(e => dictionary.Default(e, w)?.Qps).OfType<double>().DefaultIfEmpty(0).Average())];

    public override string Name => "be";

    protected override (WorkerState, string) Choose(IReadOnlyList<WorkerState> candidates, SchedulingContext context) =>
        (candidates.MaxBy(w => _strength[w.Index])!, "strongest free worker");
}
