using SynergAI.Scheduling.Forecast;

namespace SynergAI.Grains.Coordination;

/// <summary>One measured run of a worker, as stored with the worker: its engine, configuration, the profile's own
/// <c>T_pre + q/QPS</c> and the measured time, both in model seconds.</summary>
[GenerateSerializer, Alias("synergai.MeasuredRun")]
public sealed class MeasuredRun
{
    [Id(0)] public string Engine { get; set; } = "";
    [Id(1)] public string Config { get; set; } = "";
    [Id(2)] public double ProfileSeconds { get; set; }
    [Id(3)] public double MeasuredSeconds { get; set; }
}

/// <summary>A correction a worker applies to its estimates of one (engine, configuration): the profile's
/// <c>T_est</c> times <see cref="Factor"/>.</summary>
[GenerateSerializer, Alias("synergai.ProfileCorrection")]
public sealed class ProfileCorrection
{
    [Id(0)] public string Engine { get; set; } = "";
    [Id(1)] public string Config { get; set; } = "";
    [Id(2)] public double Factor { get; set; } = 1;
}

/// <summary>
/// What a worker learns from its measured runs, on the rule of <see cref="ProfileCorrections"/> (the offline
/// <c>experiment --learn</c>'s): per (engine, configuration) the median of its latest runs' measured ÷ profile ratios,
/// the worker's latest runs of every engine standing in until a configuration has runs of its own; reports that cannot
/// be right change nothing; the worker is flagged as drifted once its latest runs' median leaves the profile's band.
/// <para>Stored with the worker: the runs the rule still looks at (the latest <see cref="ProfileCorrections.Window"/>
/// overall and of each (engine, configuration), replayed in order on activation, so a restored worker has exactly the
/// corrections it had) and the corrections its estimates use. Those are <em>published</em> factors: a factor is
/// republished, rounded to the nearest <see cref="Step"/>, only when the learned one has moved at least
/// <see cref="Step"/> away from it. So workers with identical profiles that learned nothing (or the same) stay one
/// class of the pool's estimates, and the pool asks its workers again only when a correction really changed.</para>
/// Plain C#: the worker grain holds one, its lists are the worker's stored record.
/// </summary>
public sealed class WorkerLearning
{
    /// <summary>Granularity and hysteresis of the published factors.</summary>
    public const double Step = 0.05;

    readonly string _key;
    readonly List<MeasuredRun> _runs;
    readonly List<ProfileCorrection> _published;
    ProfileCorrections _corrections = new();

    /// <param name="key">The worker's name.</param>
    /// <param name="runs">The stored runs (kept up to date in place).</param>
    /// <param name="published">The stored published corrections (kept up to date in place).</param>
    public WorkerLearning(string key, List<MeasuredRun> runs, List<ProfileCorrection> published)
    {
        (_key, _runs, _published) = (key, runs, published);
        foreach (var run in _runs) _corrections.Record(_key, run.Engine, run.Config, run.ProfileSeconds, run.MeasuredSeconds);
    }

    /// <summary>Valid runs recorded (at most what the rule looks at).</summary>
    public int StoredRuns => _runs.Count;

    /// <summary>The factor the worker's estimates of (engine, configuration) use: the published one, 1 if none.</summary>
    public double Factor(string engine, string config)
    {
        foreach (var c in _published)
            if (c.Engine == engine && c.Config == config) return c.Factor;
        return 1;
    }

    /// <summary>What the rule has learned now for (engine, configuration), published or not.</summary>
    public double Learned(string engine, string config) => _corrections.Factor(_key, engine, config);

    /// <summary>Runs of (engine, configuration) the rule keeps.</summary>
    public int Runs(string engine, string config) => _corrections.Runs(_key, engine, config);

    /// <summary>The median measured ÷ profile of the worker's latest runs when it is flagged as drifted; else null.</summary>
    public double? DriftFactor => _corrections.IsDrifted(_key)
        ? _corrections.Drifted().Where(d => d.Key == _key).Select(d => (double?)d.Factor).FirstOrDefault()
        : null;

    /// <summary>Records one measured run; false (and nothing changes, stored or learned) for a report that cannot be
    /// right: a measured or profile time that is not a finite number above zero.</summary>
    public bool Record(string engine, string config, double profileSeconds, double measuredSeconds)
    {
        if (!_corrections.Record(_key, engine, config, profileSeconds, measuredSeconds)) return false;
        _runs.Add(new MeasuredRun { Engine = engine, Config = config, ProfileSeconds = profileSeconds, MeasuredSeconds = measuredSeconds });
        Prune();
        return true;
    }

    /// <summary>Publishes the learned factors of the profile's (engine, configuration) pairs that moved at least
    /// <see cref="Step"/> from their published value; true when any published factor changed.</summary>
    public bool Republish(IEnumerable<(string Engine, string Config)> profile)
    {
        var changed = false;
        foreach (var (engine, config) in profile)
        {
            var learned = Learned(engine, config);
            var published = Factor(engine, config);
            if (Math.Abs(learned - published) < Step - 1e-9) continue;
            var rounded = Math.Max(Step, Math.Round(Math.Round(learned / Step) * Step, 6));
            if (rounded == published) continue;
            _published.RemoveAll(c => c.Engine == engine && c.Config == config);
            if (rounded != 1) _published.Add(new ProfileCorrection { Engine = engine, Config = config, Factor = rounded });
            changed = true;
        }
        return changed;
    }

    /// <summary>The published corrections as text that is equal for equal corrections (part of the worker's class key).</summary>
    public string Fingerprint() => string.Join("\u001e", _published
        .OrderBy(c => c.Engine, StringComparer.Ordinal).ThenBy(c => c.Config, StringComparer.Ordinal)
        .Select(c => FormattableString.Invariant($"{c.Engine}\u001f{c.Config}\u001f{c.Factor:R}")));

    /// <summary>Forgets everything learned (the worker registered a new profile: the ratios were against the old one).</summary>
    public void Reset()
    {
        _runs.Clear();
        _published.Clear();
        _corrections = new ProfileCorrections();
    }

    /// <summary>Keeps only the runs the rule still looks at: the latest <see cref="ProfileCorrections.Window"/> overall
    /// and the latest <see cref="ProfileCorrections.Window"/> of each (engine, configuration).</summary>
    void Prune()
    {
        var window = ProfileCorrections.Window;
        var perPair = new Dictionary<(string, string), int>();
        var keep = new bool[_runs.Count];
        for (var i = _runs.Count - 1; i >= 0; i--)
        {
            var pair = (_runs[i].Engine, _runs[i].Config);
            var seen = perPair.GetValueOrDefault(pair);
            perPair[pair] = seen + 1;
            keep[i] = seen < window || i >= _runs.Count - window;
        }
        var kept = _runs.Where((_, i) => keep[i]).ToList();
        _runs.Clear();
        _runs.AddRange(kept);
    }
}
