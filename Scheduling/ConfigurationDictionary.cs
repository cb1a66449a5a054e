namespace SynergAI.Scheduling;

/// <summary>
/// The offline phase's output (thesis §5, spec §2): for every (engine, worker) the optimal configuration
/// <c>c*</c> — highest QPS, ties to the lower pre-processing time — and the worker's default configuration,
/// which the baselines use. Engines and workers are interned to dense indices so the online phase works on arrays.
/// Workers with the same default configuration and the same profile rows form a <i>class</i>: every estimate is the
/// same on all of them, so the online phase estimates a job once per class (classes numbered by their first worker).
/// </summary>
public sealed class ConfigurationDictionary
{
    readonly Dictionary<string, int> _engineIndex = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _workerIndex = new(StringComparer.Ordinal);
    readonly ProfileEntry?[] _optimal;
    readonly ProfileEntry?[] _default;
    readonly int[] _classOf;
    readonly List<int> _firstOfClass = [];

    public ConfigurationDictionary(Testbed testbed)
    {
        Workers = testbed.Workers;
        for (var w = 0; w < Workers.Count; w++) _workerIndex.Add(Workers[w].Name, w);
        Engines = [.. testbed.Engines];
        for (var e = 0; e < Engines.Count; e++) _engineIndex.Add(Engines[e], e);

        _optimal = new ProfileEntry?[Engines.Count * Workers.Count];
        _default = new ProfileEntry?[Engines.Count * Workers.Count];
        foreach (var entry in testbed.Profile)
        {
            var w = WorkerIndex(entry.Worker);
            var slot = Slot(_engineIndex[entry.Engine], w);
            if (IsBetter(entry, _optimal[slot])) _optimal[slot] = entry;
            if (entry.Config == Workers[w].DefaultConfig) _default[slot] = entry;
        }
        _classOf = Classify(testbed);
    }

    /// <summary>A key per worker that is equal exactly for workers with identical profiles.</summary>
    int[] Classify(Testbed testbed)
    {
        var rows = testbed.Profile.GroupBy(p => p.Worker, StringComparer.Ordinal).ToDictionary(g => g.Key,
            g => string.Join("\n", g.Select(p => FormattableString.Invariant($"{p.Engine}\t{p.Config}\t{p.Qps:R}\t{p.PreprocessSeconds:R}")).Order(StringComparer.Ordinal)),
            StringComparer.Ordinal);
        var classOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var classOf = new int[Workers.Count];
        for (var w = 0; w < Workers.Count; w++)
        {
            var key = Workers[w].DefaultConfig + "\n" + rows.GetValueOrDefault(Workers[w].Name, "");
            if (!classOfKey.TryGetValue(key, out var c))
            {
                c = _firstOfClass.Count;
                classOfKey.Add(key, c);
                _firstOfClass.Add(w);
            }
            classOf[w] = c;
        }
        return classOf;
    }

    public int ClassCount => _firstOfClass.Count;

    /// <summary>The class of a worker: classes are numbered in the order of their first worker.</summary>
    public int ClassOf(int worker) => _classOf[worker];

    /// <summary>A class's lowest-index worker, whose profile stands for the class.</summary>
    public int FirstOfClass(int @class) => _firstOfClass[@class];

    public IReadOnlyList<Worker> Workers { get; }
    public IReadOnlyList<string> Engines { get; }

    public int EngineIndex(string engine) => _engineIndex.TryGetValue(engine, out var e) ? e
        : throw new KeyNotFoundException($"no worker has a profile for engine '{engine}'");

    public bool HasEngine(string engine) => _engineIndex.ContainsKey(engine);

    public int WorkerIndex(string worker) => _workerIndex.TryGetValue(worker, out var w) ? w
        : throw new KeyNotFoundException($"unknown worker '{worker}'");

    /// <summary><c>c*</c> of the engine on the worker, or null when the worker has no profile for the engine.</summary>
    public ProfileEntry? Optimal(int engine, int worker) => _optimal[Slot(engine, worker)];

    /// <summary>The worker's default configuration for the engine, or null when it has no profile for the engine.</summary>
    public ProfileEntry? Default(int engine, int worker) => _default[Slot(engine, worker)];

    public ProfileEntry? Optimal(string engine, string worker) => Optimal(EngineIndex(engine), WorkerIndex(worker));

    /// <summary>A worker's strength for Best Effort: its mean QPS over the engines it runs, in its default configuration.</summary>
    public double DefaultStrength(int worker) =>
        Enumerable.Range(0, Engines.Count).Select(e => Default(e, worker)?.Qps).OfType<double>().DefaultIfEmpty(0).Average();

    /// <summary>One worker's own part of the dictionary: its <c>c*</c> for every engine it can run.</summary>
    public IReadOnlyDictionary<string, ProfileEntry> OptimalConfigurations(string worker)
    {
        var w = WorkerIndex(worker);
        var result = new Dictionary<string, ProfileEntry>(StringComparer.Ordinal);
        for (var e = 0; e < Engines.Count; e++)
            if (Optimal(e, w) is { } entry) result.Add(Engines[e], entry);
        return result;
    }

    int Slot(int engine, int worker) => engine * Workers.Count + worker;

    static bool IsBetter(ProfileEntry candidate, ProfileEntry? best) =>
        best is null
        || candidate.Qps > best.Qps
        || (candidate.Qps == best.Qps && (candidate.PreprocessSeconds < best.PreprocessSeconds
            || (candidate.PreprocessSeconds == best.PreprocessSeconds && string.CompareOrdinal(candidate.Config, best.Config) < 0)));
}
