namespace SynergAI.Scheduling.Experiments;

/// <summary>
/// One of the thesis's four experiments (ch. 7, spec §5): demand low or high (each job's QoS is the median or the
/// 25th percentile of its engine's execution times <c>q/QPS</c> over all configurations), and frequency low or high
/// (the mean Poisson inter-arrival time is the median or the 25th percentile of <c>T_pre + q/QPS</c> over all engines,
/// configurations and query counts).
/// </summary>
public sealed record Experiment(string Name, bool HighDemand, bool HighFrequency)
{
    public static readonly Experiment DlFl = new("DL-FL", false, false);
    public static readonly Experiment DlFh = new("DL-FH", false, true);
    public static readonly Experiment DhFl = new("DH-FL", true, false);
    public static readonly Experiment DhFh = new("DH-FH", true, true);
    public static readonly IReadOnlyList<Experiment> All = [DlFl, DlFh, DhFl, DhFh];

    /// <summary>Parses an experiment name, or <c>all</c>.</summary>
    public static IReadOnlyList<Experiment> Parse(string name) =>
        name.Equals("all", StringComparison.OrdinalIgnoreCase) ? All
        : All.Where(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList() is [var one] ? [one]
        : throw new ArgumentException($"unknown experiment '{name}'; known: {string.Join(", ", All.Select(e => e.Name))}, all");

    public double QosQuantile => HighDemand ? 0.25 : 0.5;
    public double InterArrivalQuantile => HighFrequency ? 0.25 : 0.5;

    public override string ToString() => Name;
}
