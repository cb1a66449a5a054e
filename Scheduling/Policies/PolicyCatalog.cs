namespace SynergAI.Scheduling.Policies;

/// <summary>The policies by name: SynergAI, the thesis's six baselines and the slack-aware planner beyond the thesis.</summary>
public static class PolicyCatalog
{
    public static readonly IReadOnlyList<string> Names = ["synergai", "rr", "srr", "lru", "mru", "be", "slo-mael", "slack-aware"];

    /// <summary>A fresh policy (policies keep small state such as a round-robin pointer; one per run).</summary>
    public static ISchedulingPolicy Create(string name) => name switch
    {
        "synergai" => new SynergAiPolicy(),
        "rr" => new RoundRobinPolicy(),
        "srr" => new StrictRoundRobinPolicy(),
        "lru" => new LeastRecentlyUsedPolicy(),
        "mru" => new MostRecentlyUsedPolicy(),
        "be" => new BestEffortPolicy(),
        "slo-mael" => new SloMaelPolicy(),
        "slack-aware" => new SlackAwarePolicy(),
        _ => throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", Names)}"),
    };

    /// <summary>Parses <c>all</c> or a comma-separated list of policy names, keeping the catalog's order.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        if (list.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return Names;
        var wanted = list.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in wanted)
            if (!Names.Contains(name)) throw new ArgumentException($"unknown policy '{name}'; known: all, {string.Join(", ", Names)}");
        if (wanted.Length == 0) throw new ArgumentException("no policy named; use 'all' or a list such as 'synergai,rr'");
        return [.. Names.Where(wanted.Contains)];
    }
}
