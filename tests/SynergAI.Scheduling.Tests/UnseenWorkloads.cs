using SynergAI.Scheduling.Experiments;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// Fleets and traces no policy was tuned on: 4 to 9 workers, each a copy of a random class of a given testbed with its
/// QPS scaled by 0.5-2× and its pre-processing by 0.6-1.4×, and 40 jobs of random engines and query counts arriving
/// at about 80% of the fleet's capacity (counting each job on its fastest worker) — Poisson, or in bursts of five jobs
/// within about a second each, separated by long gaps of the same mean rate. Deadlines are the experiments' quantiles
/// of <c>q/QPS</c> over the new fleet's own configurations.
/// </summary>
internal static class UnseenWorkloads
{
    public static (Testbed Fleet, List<Job> Trace) Make(Testbed kinds, int seed, bool bursty, bool highDemand, int jobs = 40)
    {
        var random = new Random(seed * 7919);
        var count = 4 + random.Next(6);
        var workers = new List<Worker>();
        var profile = new List<ProfileEntry>();
        for (var i = 0; i < count; i++)
        {
            var kind = kinds.Workers[random.Next(kinds.Workers.Count)];
            var speed = 0.5 + random.NextDouble() * 1.5;
            var preprocess = 0.6 + random.NextDouble() * 0.8;
            var name = $"{kind.Name}-{i}";
            workers.Add(kind with { Name = name });
            profile.AddRange(kinds.Profile.Where(p => p.Worker == kind.Name)
                .Select(p => p with { Worker = name, Qps = p.Qps * speed, PreprocessSeconds = p.PreprocessSeconds * preprocess }));
        }
        var fleet = new Testbed(workers, profile);
        var dictionary = new ConfigurationDictionary(fleet);
        var engines = dictionary.Engines;
        var experiment = highDemand ? Experiment.DhFh : Experiment.DlFh;
        var fastest = engines.SelectMany(e => TraceGenerator.QueryCounts.Select(q =>
            Enumerable.Range(0, count).Select(w => dictionary.Optimal(dictionary.EngineIndex(e), w)?.EstimateSeconds(q)).OfType<double>().Min())).Average();
        var gap = fastest / count / 0.8;

        var trace = new List<Job>(jobs);
        var arrival = 0.0;
        for (var i = 0; i < jobs; i++)
        {
            if (i > 0)
                arrival += !bursty ? Exponential(random, gap)
                    : i % 5 == 0 ? Exponential(random, gap * 5 - 1) // a burst's five jobs take about a second in all
                    : random.NextDouble() * 0.5;
            var engine = engines[random.Next(engines.Count)];
            var queries = TraceGenerator.QueryCounts[random.Next(TraceGenerator.QueryCounts.Count)];
            trace.Add(new Job($"job-{i + 1:00}", Math.Round(arrival, 3), engine, queries,
                Math.Round(TraceGenerator.QosSeconds(fleet, experiment, engine, queries), 3)));
        }
        return (fleet, trace);
    }

    static double Exponential(Random random, double mean) => -Math.Log(1 - random.NextDouble()) * mean;
}
