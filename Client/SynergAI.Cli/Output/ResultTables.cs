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

    static string Number(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    static string Interval(MeanWithInterval value) => $"{Number(value.Mean)} ± {Number(value.HalfWidth)}";
}
