using MathNet.Numerics.Distributions;

namespace SynergAI.Scheduling.Experiments;

/// <summary>A large synthetic workload for timing the simulator: a fleet made of copies of a testbed's workers and a
/// long Poisson trace at a chosen load.</summary>
public static class BenchmarkWorkload
{
    /// <summary><paramref name="workers"/> workers cycling through the testbed's worker kinds (x86-001, agx-001, …),
    /// each with its kind's profile.</summary>
    public static Testbed Fleet(Testbed kinds, int workers)
    {
        var fleet = new List<Worker>(workers);
        var profile = new List<ProfileEntry>();
        for (var i = 0; i < workers; i++)
        {
            var kind = kinds.Workers[i % kinds.Workers.Count];
            var name = $"{kind.Name}-{i / kinds.Workers.Count + 1:000}";
            fleet.Add(kind with { Name = name });
            profile.AddRange(kinds.Profile.Where(p => p.Worker == kind.Name).Select(p => p with { Worker = name }));
        }
        return new Testbed(fleet, profile);
    }

    /// <summary><paramref name="jobs"/> jobs with demand-low deadlines arriving so that the offered work is about
    /// <paramref name="load"/> of the fleet's capacity, counting each job at its mean <c>T_est</c> over the workers in
    /// their optimal configurations.</summary>
    public static List<Job> Trace(Testbed fleet, int jobs, double load, int seed)
    {
        var dictionary = new ConfigurationDictionary(fleet);
        var engines = dictionary.Engines;
        var meanService = engines.SelectMany(e => TraceGenerator.QueryCounts.Select(q =>
            Enumerable.Range(0, fleet.Workers.Count).Select(w => dictionary.Optimal(dictionary.EngineIndex(e), w)?.EstimateSeconds(q))
                .OfType<double>().Average())).Average();
        var rate = load * fleet.Workers.Count / meanService;
        var qos = engines.ToDictionary(e => e, e => TraceGenerator.QueryCounts.ToDictionary(q => q,
            q => TraceGenerator.QosSeconds(fleet, Experiment.DlFl, e, q)));

        var random = new Random(seed);
        var trace = new List<Job>(jobs);
        var arrival = 0.0;
        for (var i = 0; i < jobs; i++)
        {
            arrival += Exponential.Sample(random, rate);
            var engine = engines[random.Next(engines.Count)];
            var queries = TraceGenerator.QueryCounts[random.Next(TraceGenerator.QueryCounts.Count)];
            trace.Add(new Job($"job-{i + 1:000000}", Math.Round(arrival, 3), engine, queries, Math.Round(qos[engine][queries], 3)));
        }
        return trace;
    }
}
