using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Experiments;

/// <summary>The thesis's metrics for one policy on one trace (spec §5), in seconds.</summary>
public sealed record RunMetrics(
    int Jobs, int Violations, double WaitMean,
    double EndToEndMin, double EndToEndMean, double EndToEndP99, double EndToEndMax,
    double ExcessMeanViolating, double ExcessMeanAll)
{
    /// <summary>Jobs admitted flagged best-effort, and the violations of the jobs that were not flagged (not CSV
    /// columns: the experiment command prints them under <c>--admission best-effort</c>).</summary>
    public int Flagged { get; init; }
    public int ViolationsUnflagged { get; init; }

    public static RunMetrics From(IReadOnlyCollection<JobOutcome> outcomes)
    {
        if (outcomes.Count == 0) throw new ArgumentException("no jobs to summarise", nameof(outcomes));
        var e2e = outcomes.Select(o => o.EndToEndSeconds).ToArray();
        var violating = outcomes.Where(o => o.Violated).ToArray();
        return new RunMetrics(
            outcomes.Count,
            violating.Length,
            outcomes.Average(o => o.WaitSeconds),
            e2e.Min(), e2e.Average(), TraceGenerator.Quantile(e2e, 0.99), e2e.Max(),
            violating.Length == 0 ? 0 : violating.Average(o => o.ExcessSeconds),
            outcomes.Average(o => o.ExcessSeconds))
        {
            Flagged = outcomes.Count(o => o.BestEffort),
            ViolationsUnflagged = violating.Count(o => !o.BestEffort),
        };
    }

    /// <summary>The metrics by name, in the order of the CSV columns.</summary>
    public static readonly IReadOnlyList<(string Column, Func<RunMetrics, double> Value)> Columns =
    [
        ("violations", m => m.Violations),
        ("wait_mean_s", m => m.WaitMean),
        ("e2e_min_s", m => m.EndToEndMin),
        ("e2e_mean_s", m => m.EndToEndMean),
        ("e2e_p99_s", m => m.EndToEndP99),
        ("e2e_max_s", m => m.EndToEndMax),
        ("excess_mean_violating_s", m => m.ExcessMeanViolating),
        ("excess_mean_all_s", m => m.ExcessMeanAll),
    ];
}
