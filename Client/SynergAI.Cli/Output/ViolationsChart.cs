using ScottPlot;
using SynergAI.Scheduling.Experiments;

namespace SynergAI.Cli.Output;

/// <summary>A PNG bar chart: violations per policy, grouped by experiment, with 95% CI error bars.</summary>
internal static class ViolationsChart
{
    public static void Write(string path, IReadOnlyList<(Experiment Experiment, IReadOnlyList<ExperimentRunner.PolicySummary> Policies)> results, int jobsPerTrace,
        string? conditions = null)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var policies = results[0].Policies.Select(p => p.Policy).ToList();
        var groupWidth = policies.Count + 1.5;
        var bars = new List<Bar>();
        for (var g = 0; g < results.Count; g++)
            for (var p = 0; p < policies.Count; p++)
            {
                var value = results[g].Policies[p].Summary(m => m.Violations);
                bars.Add(new Bar { Position = g * groupWidth + p, Value = value.Mean, Error = value.HalfWidth, FillColor = palette.GetColor(p) });
            }
        plot.Add.Bars(bars);
        foreach (var (policy, p) in policies.Select((name, i) => (name, i)))
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = policy, FillColor = palette.GetColor(p) });
        plot.ShowLegend(Edge.Right);

        var centres = results.Select((_, g) => g * groupWidth + (policies.Count - 1) / 2.0).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(centres, [.. results.Select(r => r.Experiment.Name)]);
        plot.Axes.Margins(bottom: 0);
        plot.YLabel($"QoS violations (of {jobsPerTrace} jobs)");
        plot.Title($"Violations per policy, mean ± 95% CI over {results[0].Policies[0].Runs.Count} seeds" + (conditions is null ? "" : $" ({conditions})"));
        plot.SavePng(path, 1200, 600);
    }
}
