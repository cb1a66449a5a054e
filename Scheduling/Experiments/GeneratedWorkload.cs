namespace SynergAI.Scheduling.Experiments;

/// <summary>Which kind of generated fleet <see cref="GeneratedWorkload"/> makes.</summary>
public enum FleetShape
{
    /// <summary>4 to 9 workers, each a copy of a random class of the given testbed (so every worker is a class of its
    /// own) with its QPS scaled by 0.5-2× and its pre-processing by 0.6-1.4×; the testbed's engines and the thesis's
    /// query counts; bursts of five jobs within about a second.</summary>
    Scaled,

    /// <summary>Further from the thesis: 2 to 5 classes of 1 to 6 identical workers each (2-30 workers), each class a
    /// random class of the given testbed with its QPS scaled by 0.4-2.5× and its pre-processing by 0.5-1.5×, and on
    /// top of that by 0.8-1.25× per engine (so which class is fastest differs by engine); 3 to 8 engines of their own
    /// (<c>model-1</c>…), each derived from a distinct engine of the testbed with its QPS scaled by 0.33-3× and its
    /// pre-processing by 0.3-1.5×, and each run by a class with probability 4/5 (by at least one); query counts drawn
    /// log-uniformly from 100-4,000; bursts as <see cref="ArrivalProcess.Bursty"/> (2-6 jobs within 2 s). Deadlines are
    /// the quantile of the whole run time <c>T_pre + q/QPS</c> (not of <c>q/QPS</c> alone), so that every job can
    /// make it on an idle fleet: no floor of lost causes dilutes the distance to the optimum.</summary>
    Varied,
}

/// <summary>
/// Fleets and traces no policy was tuned on, one place for the tests and for <c>synergai experiment --fleet</c>.
/// Every trace has <c>jobs</c> jobs of random engines and query counts arriving at an offered load of 60% (FL) or 80%
/// (FH) of the fleet's capacity (counting each job on its fastest worker) — Poisson, or in bursts separated by long
/// gaps of the same mean rate. Deadlines are the experiment's quantile (DL: median, DH: 25th percentile) over the new
/// fleet's own configurations of the job's engine: of <c>q/QPS</c> as in the thesis's experiments (scaled), or of the
/// whole run time (varied).
/// </summary>
public static class GeneratedWorkload
{
    /// <summary>The offered load of an experiment's traces: FL 60%, FH 80% of the fleet's capacity.</summary>
    public static double Load(Experiment experiment) => experiment.HighFrequency ? 0.8 : 0.6;

    public static (Testbed Fleet, List<Job> Trace) Make(Testbed kinds, FleetShape shape, Experiment experiment, int seed,
        ArrivalProcess arrivals, int jobs = 40) => shape switch
    {
        FleetShape.Scaled => Scaled(kinds, seed, arrivals == ArrivalProcess.Bursty, experiment, jobs),
        FleetShape.Varied => Varied(kinds, seed, arrivals, experiment, jobs),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary><see cref="FleetShape.Scaled"/>; DL-FH or DH-FH gives the traces the tests were written with.</summary>
    public static (Testbed Fleet, List<Job> Trace) Scaled(Testbed kinds, int seed, bool bursty, Experiment experiment, int jobs = 40)
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
        var fastest = engines.SelectMany(e => TraceGenerator.QueryCounts.Select(q =>
            Enumerable.Range(0, count).Select(w => dictionary.Optimal(dictionary.EngineIndex(e), w)?.EstimateSeconds(q)).OfType<double>().Min())).Average();
        var gap = fastest / count / Load(experiment);

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

    const int VariedSeedMask = 0x7A41_ED00;

    /// <summary><see cref="FleetShape.Varied"/>.</summary>
    public static (Testbed Fleet, List<Job> Trace) Varied(Testbed kinds, int seed, ArrivalProcess arrivals, Experiment experiment, int jobs = 40)
    {
        var random = new Random(seed ^ VariedSeedMask);
        var kindEngines = kinds.Engines.ToArray();
        var engineCount = Math.Min(3 + random.Next(6), kindEngines.Length);
        var bases = kindEngines.OrderBy(_ => random.Next()).Take(engineCount).ToArray();
        var engines = new List<(string Name, string Base, double Qps, double Pre)>();
        for (var e = 0; e < engineCount; e++)
            engines.Add(($"model-{e + 1}", bases[e], LogUniform(random, 1 / 3.0, 3), 0.3 + random.NextDouble() * 1.2));

        var classCount = 2 + random.Next(4);
        var runs = new bool[classCount, engineCount];
        for (var e = 0; e < engineCount; e++)
        {
            var must = random.Next(classCount);
            for (var c = 0; c < classCount; c++) runs[c, e] = c == must || random.Next(5) != 0;
        }
        var workers = new List<Worker>();
        var profile = new List<ProfileEntry>();
        for (var c = 0; c < classCount; c++)
        {
            var kind = kinds.Workers[random.Next(kinds.Workers.Count)];
            var speed = LogUniform(random, 0.4, 2.5);
            var preprocess = 0.5 + random.NextDouble();
            var perEngine = engines.Select(_ => LogUniform(random, 0.8, 1.25)).ToArray();
            var members = 1 + random.Next(6);
            for (var m = 0; m < members; m++)
            {
                var name = $"c{c + 1}-{kind.Name}-{m + 1}";
                workers.Add(kind with { Name = name });
                for (var e = 0; e < engineCount; e++)
                {
                    if (!runs[c, e]) continue;
                    var (engine, @base, qps, pre) = engines[e];
                    profile.AddRange(kinds.Profile.Where(p => p.Worker == kind.Name && p.Engine == @base).Select(p => p with
                    {
                        Worker = name, Engine = engine, Qps = p.Qps * speed * qps * perEngine[e], PreprocessSeconds = p.PreprocessSeconds * preprocess * pre,
                    }));
                }
            }
        }
        var fleet = new Testbed(workers, profile);
        var dictionary = new ConfigurationDictionary(fleet);

        var drawn = new List<(string Engine, int Queries)>(jobs);
        for (var i = 0; i < jobs; i++)
            drawn.Add((engines[random.Next(engineCount)].Name, (int)Math.Round(LogUniform(random, 100, 4000))));
        var fastest = drawn.Average(j => Enumerable.Range(0, workers.Count)
            .Select(w => dictionary.Optimal(dictionary.EngineIndex(j.Engine), w)?.EstimateSeconds(j.Queries)).OfType<double>().Min());
        var gap = fastest / workers.Count / Load(experiment);
        var times = arrivals == ArrivalProcess.Bursty ? TraceGenerator.BurstyArrivals(jobs, gap, random) : null;
        var trace = new List<Job>(jobs);
        var arrival = 0.0;
        for (var i = 0; i < jobs; i++)
        {
            if (times is not null) arrival = times[i];
            else if (i > 0) arrival += Exponential(random, gap);
            var (engine, queries) = drawn[i];
            // The whole run time T_pre + q/QPS, unlike the thesis's q/QPS: every job can then meet its deadline on an
            // idle fleet, so the violations measured are the ones scheduling decides.
            trace.Add(new Job($"job-{i + 1:00}", Math.Round(arrival, 3), engine, queries,
                Math.Round(TraceGenerator.Quantile(fleet.Profile.Where(p => p.Engine == engine).Select(p => p.EstimateSeconds(queries)), experiment.QosQuantile), 3)));
        }
        return (fleet, trace);
    }

    static double LogUniform(Random random, double low, double high) => Math.Exp(Math.Log(low) + random.NextDouble() * (Math.Log(high) - Math.Log(low)));

    static double Exponential(Random random, double mean) => -Math.Log(1 - random.NextDouble()) * mean;
}
