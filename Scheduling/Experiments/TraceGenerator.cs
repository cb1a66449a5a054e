using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace SynergAI.Scheduling.Experiments;

/// <summary>Seeded traces of the thesis's experiments, derived from any testbed's own profile.</summary>
public static class TraceGenerator
{
    /// <summary>The thesis's query counts per job.</summary>
    public static readonly IReadOnlyList<int> QueryCounts = [3900, 1950, 975, 488];

    /// <summary>How many jobs a burst of <see cref="ArrivalProcess.Bursty"/> arrivals holds (uniform; mean 4).</summary>
    public static readonly IReadOnlyList<int> BurstSizes = [2, 3, 4, 5, 6];

    /// <summary>The jobs of a burst arrive within this many seconds of its start.</summary>
    public const double BurstSpreadSeconds = 2;

    /// <summary>Each engine <paramref name="jobsPerEngine"/> times (24 jobs for the thesis's 12 engines) in random
    /// order, each with a random query count, arriving as <paramref name="arrivals"/> says (a Poisson process by
    /// default); the first job arrives at 0.</summary>
    public static List<Job> Generate(Experiment experiment, Testbed testbed, int seed, int jobsPerEngine = 2,
        ArrivalProcess arrivals = ArrivalProcess.Poisson)
    {
        var random = new Random(seed);
        var engines = testbed.Engines.SelectMany(e => Enumerable.Repeat(e, jobsPerEngine)).ToArray();
        random.Shuffle(engines);
        var meanGap = MeanInterArrival(testbed, experiment);
        // Bursty times come from a stream of their own, drawn up front; the Poisson draws stay interleaved with the
        // query counts exactly as they always were, so a seed's Poisson trace never changes.
        var burstTimes = arrivals == ArrivalProcess.Bursty ? BurstyArrivals(engines.Length, meanGap, new Random(seed ^ BurstySeedMask)) : null;
        var width = engines.Length.ToString().Length;
        var jobs = new List<Job>(engines.Length);
        var arrival = 0.0;
        for (var i = 0; i < engines.Length; i++)
        {
            if (burstTimes is not null) arrival = burstTimes[i];
            else if (i > 0) arrival += Exponential.Sample(random, 1 / meanGap);
            var queries = QueryCounts[random.Next(QueryCounts.Count)];
            // Times in whole milliseconds, as the trace file holds them, so a written trace reads back identical.
            jobs.Add(new Job($"job-{(i + 1).ToString().PadLeft(width, '0')}", Math.Round(arrival, 3), engines[i], queries,
                Math.Round(QosSeconds(testbed, experiment, engines[i], queries), 3)));
        }
        return jobs;
    }

    const int BurstySeedMask = 0x5EED_B057;

    /// <summary>The arrival times of <see cref="ArrivalProcess.Bursty"/>, ascending, the first at 0.</summary>
    public static double[] BurstyArrivals(int jobs, double meanGap, Random random)
    {
        var times = new List<double>(jobs);
        var burstStart = 0.0;
        while (times.Count < jobs)
        {
            var size = BurstSizes[random.Next(BurstSizes.Count)];
            var offsets = Enumerable.Range(0, size).Select(_ => random.NextDouble() * BurstSpreadSeconds).Order().ToArray();
            var shift = times.Count == 0 ? offsets[0] : 0; // the trace starts with its first job at 0
            times.AddRange(offsets.Select(o => burstStart + o - shift));
            burstStart += Exponential.Sample(random, 1 / (size * meanGap));
        }
        return [.. times.Take(jobs).Order()];
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
