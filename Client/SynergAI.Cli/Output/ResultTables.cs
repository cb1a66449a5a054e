using System.Globalization;
using Spectre.Console;
using SynergAI.Scheduling.Experiments;

namespace SynergAI.Cli.Output;

/// <summary>Aligned tables of results for people (the CSV forms are for tools).</summary>
internal static class ResultTables
{
    static readonly string[] Headings =
        ["violations", "wait mean s", "e2e min s", "e2e mean s", "e2e p99 s", "e2e max s", "excess (violating) s", "excess (all) s"];

    public static void WriteRunMetrics(IAnsiConsole console, IEnumerable<(string Policy, RunMetrics Metrics)> rows)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("policy").AddColumn(new TableColumn("jobs").RightAligned());
        foreach (var heading in Headings) table.AddColumn(new TableColumn(heading).RightAligned());
        foreach (var (policy, m) in rows)
            table.AddRow([policy, m.Jobs.ToString(CultureInfo.InvariantCulture), .. RunMetrics.Columns.Select(c => Number(c.Value(m)))]);
        console.Write(table);
    }

    public static void WriteSummaries(IAnsiConsole console, Experiment experiment, IReadOnlyList<ExperimentRunner.PolicySummary> policies, int seeds)
    {
        var table = new Table().Border(TableBorder.Simple)
            .Title($"{experiment.Name}: mean ± 95% CI over {seeds} seed{(seeds == 1 ? "" : "s")}")
            .AddColumn("policy");
        foreach (var heading in Headings) table.AddColumn(new TableColumn(heading).RightAligned());
        foreach (var summary in policies)
            table.AddRow([summary.Policy, .. RunMetrics.Columns.Select(c => Interval(summary.Summary(c.Value)))]);
        console.Write(table);
        console.WriteLine();
    }

    /// <summary><c>experiment --fleet</c>: violations per generated fleet, then each policy's distance to the optimum.</summary>
    public static void WriteFleets(IAnsiConsole console, IReadOnlyList<FleetRunner.FleetRun> runs, IReadOnlyList<string> policies,
        IReadOnlyList<FleetRunner.Distance> distances)
    {
        var withOracle = runs.Count > 0 && runs[0].Optimum is not null;
        var table = new Table().Border(TableBorder.Simple).Title("violations per generated fleet").AddColumns("experiment", "seed");
        foreach (var heading in new[] { "workers", "classes", "engines", "jobs", "floor" }.Concat(policies))
            table.AddColumn(new TableColumn(heading).RightAligned());
        if (withOracle) table.AddColumn(new TableColumn("oracle (bound)").RightAligned());
        foreach (var run in runs)
            table.AddRow([run.Experiment.Name, Int(run.Seed), Int(run.Workers), Int(run.Classes), Int(run.Engines), Int(run.Jobs), Int(run.Floor),
                .. policies.Select(p => Int(run.Violations[p])),
                .. run.Optimum is { } o ? new[] { $"{o.Violations} ({o.LowerBound}){(o.Proven ? "" : " not proven")}" } : []]);
        console.Write(table);
        if (distances.Count == 0) return;
        console.WriteLine();
        var summary = new Table().Border(TableBorder.Simple).Title("distance to the optimum (ratios of violations; \"bound\": against the proven lower bound)")
            .AddColumns("policy", "experiment");
        foreach (var heading in new[] { "fleets", "violations", "oracle", "bound", "Σv/Σo", "Σv/Σbound", "mean (v+1)/(o+1)", "vs bound", "floor", "Σ(v−f)/Σ(o−f)", "unproven" })
            summary.AddColumn(new TableColumn(heading).RightAligned());
        foreach (var d in distances)
            summary.AddRow(d.Policy, d.Experiment?.Name ?? "all", Int(d.Fleets), Number2(d.MeanViolations), Number2(d.MeanOptimum), Number2(d.MeanLowerBound),
                Number2(d.RatioOfSums), Number2(d.RatioOfSumsToBound), Number2(d.MeanPlusOneRatio), Number2(d.MeanPlusOneRatioToBound),
                Number2(d.MeanFloor), Number2(d.AvoidableRatio), Int(d.Unproven));
        console.Write(summary);
    }

    static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    static string Number2(double value) => double.IsPositiveInfinity(value) ? "∞" : value.ToString("0.00", CultureInfo.InvariantCulture);

    static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    static string Interval(MeanWithInterval value) => $"{Number(value.Mean)} ± {Number(value.HalfWidth)}";
}
