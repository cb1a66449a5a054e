using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Experiments;

/// <summary>Runs policies over seeded traces of an experiment and summarises each metric as a mean with its 95% CI.</summary>
public static class ExperimentRunner
{
    public sealed record PolicySummary(string Policy, IReadOnlyList<RunMetrics> Runs)
    {
        public MeanWithInterval Summary(Func<RunMetrics, double> metric) => MeanWithInterval.Of(Runs.Select(metric).ToArray());
    }

    /// <summary>Seeds 1..<paramref name="seeds"/>: the trace and the noise of seed s are the same for every policy
    /// (<paramref name="options"/>' own seed is replaced by s).</summary>
    public static IReadOnlyList<PolicySummary> Run(Testbed testbed, Experiment experiment, IReadOnlyList<string> policies,
        int seeds, SimulationOptions options, Action? onRunDone = null)
    {
        var dictionary = new ConfigurationDictionary(testbed);
        var runs = policies.ToDictionary(p => p, _ => new List<RunMetrics>());
        for (var seed = 1; seed <= seeds; seed++)
        {
            var trace = TraceGenerator.Generate(experiment, testbed, seed);
            foreach (var name in policies)
            {
                var outcomes = Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), options with { Seed = seed });
                runs[name].Add(RunMetrics.From(outcomes));
                onRunDone?.Invoke();
            }
        }
        return [.. policies.Select(p => new PolicySummary(p, runs[p]))];
    }
}
