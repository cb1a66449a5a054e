using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace SynergAI.Scheduling.Experiments;

/// <summary>Seeded traces of the thesis's experiments, derived from any testbed's own profile.</summary>
public static class TraceGenerator
{
    /// <summary>The thesis's query counts per job.</summary>
    public static readonly IReadOnlyList<int> QueryCounts = [3900, 1950, 975, 488];

    /// <summary>Each engine <paramref name="jobsPerEngine"/> times (24 jobs for the thesis's 12 engines) in random
    /// order, each with a random query count, arriving as a Poisson process; the first job arrives at 0.</summary>
    public static List<Job> Generate(Experiment experiment, Testbed testbed, int seed, int jobsPerEngine = 2)
    {
        var random = new Random(seed);
        var engines = testbed.Engines.SelectMany(e => Enumerable.Repeat(e, jobsPerEngine)).ToArray();
        random.Shuffle(engines);
        var meanGap = MeanInterArrival(testbed, experiment);
        var width = engines.Length.ToString().Length;
        var jobs = new List<Job>(engines.Length);
        var arrival = 0.0;
        for (var i = 0; i < engines.Length; i++)
        {
            if (i > 0) arrival += Exponential.Sample(random, 1 / meanGap);
            var queries = QueryCounts[random.Next(QueryCounts.Count)];
            // Times in whole milliseconds, as the trace file holds them, so a written trace reads back identical.
            jobs.Add(new Job($"job-{(i + 1).ToString().PadLeft(width, '0')}", Math.Round(arrival, 3), engines[i], queries,
                Math.Round(QosSeconds(testbed, experiment, engines[i], queries), 3)));
        }
        return jobs;
    }

    /// <summary>Table 7.1 computed from the profile: the quantile of <c>q/QPS</c> over the engine's configurations on all workers.</summary>
    public static double QosSeconds(Testbed testbed, Experiment experiment, string engine, int queries) =>
        Quantile(testbed.Profile.Where(p => p.Engine == engine).Select(p => queries / p.Qps), experiment.QosQuantile);

    /// <summary>The quantile of <c>T_pre + q/QPS</c> over every profiled configuration and the thesis's query counts.</summary>
    public static double MeanInterArrival(Testbed testbed, Experiment experiment) =>
        Quantile(testbed.Profile.SelectMany(p => QueryCounts.Select(p.EstimateSeconds)), experiment.InterArrivalQuantile);

    /// <summary>Linear interpolation between order statistics (R-7, numpy's default).</summary>
    public static double Quantile(IEnumerable<double> values, double tau) =>
        Statistics.QuantileCustom(values, tau, QuantileDefinition.R7);
}
