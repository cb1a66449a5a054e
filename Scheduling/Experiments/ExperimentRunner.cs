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

    /// <summary>A schedule worked out for a whole trace at once rather than by a policy in the simulator (the
    /// clairvoyant optimum): it gets each seed's trace and options and returns every job's outcome.</summary>
    public sealed record OfflineSchedule(string Name, Func<IReadOnlyList<Job>, SimulationOptions, IReadOnlyList<JobOutcome>> Solve);

    /// <summary>Seeds 1..<paramref name="seeds"/>: the trace and the noise of seed s are the same for every policy
    /// (<paramref name="options"/>' own seed is replaced by s). <paramref name="offline"/> schedules get a row each
    /// after the policies'.</summary>
    public static IReadOnlyList<PolicySummary> Run(Testbed testbed, Experiment experiment, IReadOnlyList<string> policies,
        int seeds, SimulationOptions options, Action? onRunDone = null, ArrivalProcess arrivals = ArrivalProcess.Poisson,
        IReadOnlyList<OfflineSchedule>? offline = null)
    {
        offline ??= [];
        var dictionary = new ConfigurationDictionary(testbed);
        var rows = policies.Concat(offline.Select(o => o.Name)).ToList();
        var runs = rows.ToDictionary(p => p, _ => new List<RunMetrics>());
        for (var seed = 1; seed <= seeds; seed++)
        {
            var trace = TraceGenerator.Generate(experiment, testbed, seed, arrivals: arrivals);
            foreach (var name in policies)
            {
                var outcomes = Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), options with { Seed = seed });
                runs[name].Add(RunMetrics.From(outcomes));
                onRunDone?.Invoke();
            }
            foreach (var schedule in offline)
            {
                runs[schedule.Name].Add(RunMetrics.From([.. schedule.Solve(trace, options with { Seed = seed })]));
                onRunDone?.Invoke();
            }
        }
        return [.. rows.Select(p => new PolicySummary(p, runs[p]))];
    }
}
