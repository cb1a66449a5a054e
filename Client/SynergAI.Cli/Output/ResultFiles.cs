using SynergAI.Scheduling;
using System.Globalization;
using CsvHelper;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Cli.Output;

/// <summary>The CSV forms of results: a stable interface for other tools, so the columns never change silently.</summary>
internal static class ResultFiles
{
    public static readonly string[] RunColumns =
        ["policy", "jobs", "violations", "wait_mean_s", "e2e_mean_s", "e2e_p99_s", "e2e_max_s", "excess_mean_violating_s", "excess_mean_all_s"];

    public static readonly string[] JobColumns = ["policy", "job", "worker", "config", "submitted_s", "started_s", "completed_s", "violated", "waited_for"];

    public static void WriteRunMetrics(TextWriter output, IEnumerable<(string Policy, RunMetrics Metrics)> rows)
    {
        using var csv = Csv(output, RunColumns);
        foreach (var (policy, m) in rows)
        {
            csv.WriteField(policy);
            csv.WriteField(m.Jobs);
            csv.WriteField(m.Violations);
            foreach (var value in new[] { m.WaitMean, m.EndToEndMean, m.EndToEndP99, m.EndToEndMax, m.ExcessMeanViolating, m.ExcessMeanAll })
                csv.WriteField(Seconds(value));
            csv.NextRecord();
        }
    }

    public static void WriteJobs(string path, IEnumerable<(string Policy, IReadOnlyList<JobOutcome> Outcomes)> runs)
    {
        using var file = File.CreateText(path);
        using var csv = Csv(file, JobColumns);
        foreach (var (policy, outcomes) in runs)
            foreach (var o in outcomes.OrderBy(o => o.SubmittedSeconds).ThenBy(o => o.Job.Id, StringComparer.Ordinal))
            {
                csv.WriteField(policy);
                csv.WriteField(o.Job.Id);
                csv.WriteField(o.Worker);
                csv.WriteField(o.Config);
                csv.WriteField(Seconds(o.SubmittedSeconds));
                csv.WriteField(Seconds(o.StartedSeconds));
                csv.WriteField(Seconds(o.CompletedSeconds));
                csv.WriteField(o.Violated ? "true" : "false");
                csv.WriteField(o.WaitedFor is { } code ? WaitReasons.Name(code) : "");
                csv.NextRecord();
            }
    }

    public static readonly string[] ScheduleColumns = ["job", "worker", "config", "start_s", "end_s", "violated"];

    /// <summary>A schedule worked out offline (the oracle's), in job order.</summary>
    public static void WriteSchedule(string path, IEnumerable<JobOutcome> schedule)
    {
        using var file = File.CreateText(path);
        using var csv = Csv(file, ScheduleColumns);
        foreach (var o in schedule.OrderBy(o => o.SubmittedSeconds).ThenBy(o => o.Job.Id, StringComparer.Ordinal))
        {
            csv.WriteField(o.Job.Id);
            csv.WriteField(o.Worker);
            csv.WriteField(o.Config);
            csv.WriteField(Seconds(o.StartedSeconds));
            csv.WriteField(Seconds(o.CompletedSeconds));
            csv.WriteField(o.Violated ? "true" : "false");
            csv.NextRecord();
        }
    }

    /// <summary>One row per experiment and policy: each metric's mean over the seeds and its 95% CI half-width.</summary>
    public static void WriteSummaries(TextWriter output, IEnumerable<(Experiment Experiment, IReadOnlyList<ExperimentRunner.PolicySummary> Policies)> results)
    {
        string[] header = ["experiment", "policy", "seeds", .. RunMetrics.Columns.SelectMany(c => new[] { c.Column + "_mean", c.Column + "_ci95" })];
        using var csv = Csv(output, header);
        foreach (var (experiment, policies) in results)
            foreach (var summary in policies)
            {
                csv.WriteField(experiment.Name);
                csv.WriteField(summary.Policy);
                csv.WriteField(summary.Runs.Count);
                foreach (var (_, metric) in RunMetrics.Columns)
                {
                    var value = summary.Summary(metric);
                    csv.WriteField(Seconds(value.Mean));
                    csv.WriteField(Seconds(value.HalfWidth));
                }
                csv.NextRecord();
            }
    }

    /// <summary><c>experiment --fleet</c>: one row per generated fleet (violations per policy; the oracle's value, proven
    /// lower bound, status and excess when it ran), then, after an empty line, one row per policy and experiment (and
    /// "all") with its distance to the optimum.</summary>
    public static void WriteFleets(TextWriter output, IReadOnlyList<FleetRunner.FleetRun> runs, IReadOnlyList<string> policies,
        IReadOnlyList<FleetRunner.Distance> distances)
    {
        var withOracle = runs.Count > 0 && runs[0].Optimum is not null;
        string[] header = ["experiment", "arrivals", "seed", "workers", "classes", "engines", "jobs", "floor", .. policies,
            .. withOracle ? new[] { "oracle", "oracle_lower_bound", "oracle_status", "oracle_excess_s" } : []];
        using (var csv = Csv(output, header))
            foreach (var run in runs)
            {
                foreach (var field in new object[] { run.Experiment.Name, run.Arrivals.Name(), run.Seed, run.Workers, run.Classes, run.Engines, run.Jobs, run.Floor })
                    csv.WriteField(field);
                foreach (var policy in policies) csv.WriteField(run.Violations[policy]);
                if (run.Optimum is { } o)
                {
                    csv.WriteField(o.Violations);
                    csv.WriteField(o.LowerBound);
                    csv.WriteField(o.Proven ? "OPTIMAL" : "FEASIBLE");
                    csv.WriteField(Seconds(o.ExcessSeconds));
                }
                csv.NextRecord();
            }
        if (distances.Count == 0) return;
        output.WriteLine();
        using var summary = Csv(output, ["policy", "experiment", "fleets", "violations_mean", "oracle_mean", "lower_bound_mean", "ratio_of_sums",
            "ratio_of_sums_to_bound", "mean_plus1_ratio", "mean_plus1_ratio_to_bound", "floor_mean", "avoidable_ratio", "unproven"]);
        foreach (var d in distances)
        {
            foreach (var field in new object[] { d.Policy, d.Experiment?.Name ?? "all", d.Fleets, Ratio(d.MeanViolations), Ratio(d.MeanOptimum),
                         Ratio(d.MeanLowerBound), Ratio(d.RatioOfSums), Ratio(d.RatioOfSumsToBound), Ratio(d.MeanPlusOneRatio), Ratio(d.MeanPlusOneRatioToBound),
                         Ratio(d.MeanFloor), Ratio(d.AvoidableRatio), d.Unproven })
                summary.WriteField(field);
            summary.NextRecord();
        }
    }

    static string Ratio(double value) => double.IsPositiveInfinity(value) ? "inf" : value.ToString("0.###", CultureInfo.InvariantCulture);

    static CsvWriter Csv(TextWriter output, string[] header)
    {
        var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in header) csv.WriteField(column);
        csv.NextRecord();
        return csv;
    }

    public static string Seconds(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
