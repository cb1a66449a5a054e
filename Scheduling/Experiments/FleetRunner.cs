using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Experiments;

/// <summary>
/// Policies, and optionally an offline optimum, over generated fleets (<see cref="GeneratedWorkload"/>): one fleet and
/// trace per seed, and how far each policy is from the optimum.
/// </summary>
public static class FleetRunner
{
    /// <summary>What an optimum solver says about one trace: the violations of its best schedule, the proven lower bound
    /// on any schedule's violations, and whether the schedule is proven optimal.</summary>
    public sealed record Bounded(int Violations, int LowerBound, bool Proven, double ExcessSeconds);

    /// <summary>The figures of one generated fleet and trace.</summary>
    public sealed record FleetRun(Experiment Experiment, ArrivalProcess Arrivals, int Seed, int Workers, int Classes, int Engines, int Jobs,
        int Floor, IReadOnlyDictionary<string, int> Violations, Bounded? Optimum);

    /// <summary>A schedule that is not a catalog policy (a yardstick such as the re-planning optimum): it may read the
    /// fleet and the whole trace. Its violations go beside the policies'.</summary>
    public sealed record Yardstick(string Name, Func<Testbed, IReadOnlyList<Job>, SimulationOptions, IReadOnlyList<JobOutcome>> Run);

    /// <param name="optimum">The offline optimum of a fleet's trace under the given options (noise factors), or null.</param>
    public static IReadOnlyList<FleetRun> Run(Testbed kinds, FleetShape shape, IReadOnlyList<Experiment> experiments, ArrivalProcess arrivals,
        IReadOnlyList<string> policies, int seeds, SimulationOptions options,
        Func<Testbed, IReadOnlyList<Job>, SimulationOptions, Bounded>? optimum = null, Action<FleetRun>? onFleetDone = null,
        IReadOnlyList<Yardstick>? yardsticks = null)
    {
        var runs = new List<FleetRun>();
        foreach (var experiment in experiments)
            for (var seed = 1; seed <= seeds; seed++)
            {
                var (fleet, trace) = GeneratedWorkload.Make(kinds, shape, experiment, seed, arrivals);
                var dictionary = new ConfigurationDictionary(fleet);
                var seeded = options with { Seed = seed };
                var violations = policies.ToDictionary(p => p,
                    p => Simulator.Run(dictionary, trace, PolicyCatalog.Create(p), seeded).Count(o => o.Violated));
                foreach (var yardstick in yardsticks ?? []) violations[yardstick.Name] = yardstick.Run(fleet, trace, seeded).Count(o => o.Violated);
                var run = new FleetRun(experiment, arrivals, seed, fleet.Workers.Count, dictionary.ClassCount, dictionary.Engines.Count, trace.Count,
                    Floor(fleet, trace, seeded), violations, optimum?.Invoke(fleet, trace, seeded));
                runs.Add(run);
                onFleetDone?.Invoke(run);
            }
        return runs;
    }

    /// <summary>Jobs no schedule can finish in time: too late even started on arrival in the configuration that runs
    /// them soonest anywhere (noise included, as the simulator draws it).</summary>
    static int Floor(Testbed fleet, IReadOnlyList<Job> trace, SimulationOptions options)
    {
        var factors = Simulator.NoiseFactors(trace, options);
        return trace.Count(job => fleet.Profile.Where(p => p.Engine == job.Engine).Min(p => p.EstimateSeconds(job.Queries))
            * factors.GetValueOrDefault(job.Id, 1.0) > job.QosSeconds);
    }

    /// <summary>A policy against the optimum over a set of fleets.</summary>
    /// <param name="RatioOfSums">Σ policy violations ÷ Σ optimum violations (the optimum's best schedule).</param>
    /// <param name="RatioOfSumsToBound">Σ policy violations ÷ Σ proven lower bounds: no smaller than the true ratio.</param>
    /// <param name="MeanPlusOneRatio">Mean over fleets of (v + 1) ÷ (o + 1), o the optimum's violations.</param>
    /// <param name="MeanPlusOneRatioToBound">The same with the lower bound for o.</param>
    /// <param name="AvoidableRatio">Σ (policy − floor) ÷ Σ (optimum − floor): the same on the violations some schedule
    /// can avoid (the floor, jobs no schedule can finish in time, counts for neither).</param>
    /// <param name="Unproven">Fleets whose optimum was not proven optimal within the time limit.</param>
    public sealed record Distance(string Policy, Experiment? Experiment, int Fleets, double MeanViolations, double MeanOptimum,
        double MeanLowerBound, double RatioOfSums, double RatioOfSumsToBound, double MeanPlusOneRatio, double MeanPlusOneRatioToBound, double MeanFloor, double AvoidableRatio, int Unproven);

    /// <summary>Per policy: its distance to the optimum over <paramref name="runs"/> (all of which have one).</summary>
    public static Distance DistanceOf(string policy, IReadOnlyList<FleetRun> runs, Experiment? experiment = null)
    {
        if (runs.Count == 0 || runs.Any(r => r.Optimum is null)) throw new ArgumentException("every run needs an optimum", nameof(runs));
        double v = runs.Sum(r => r.Violations[policy]), o = runs.Sum(r => r.Optimum!.Violations), b = runs.Sum(r => r.Optimum!.LowerBound);
        return new Distance(policy, experiment, runs.Count, v / runs.Count, o / runs.Count, b / runs.Count,
            Ratio(v, o), Ratio(v, b),
            runs.Average(r => (r.Violations[policy] + 1.0) / (r.Optimum!.Violations + 1.0)),
            runs.Average(r => (r.Violations[policy] + 1.0) / (r.Optimum!.LowerBound + 1.0)),
            runs.Average(r => (double)r.Floor), Ratio(v - runs.Sum(r => r.Floor), o - runs.Sum(r => r.Floor)),
            runs.Count(r => !r.Optimum!.Proven));
    }

    /// <summary>a ÷ b, with 0 ÷ 0 = 1 (both perfect) and a ÷ 0 = ∞.</summary>
    public static double Ratio(double a, double b) => b > 0 ? a / b : a == 0 ? 1 : double.PositiveInfinity;
}
