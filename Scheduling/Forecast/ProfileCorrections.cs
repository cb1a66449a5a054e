namespace SynergAI.Scheduling.Forecast;

/// <summary>
/// Corrections of an offline profile learned from measured runs, per key (a worker or class of identical workers, an
/// engine and a configuration): the factor is the median of the latest <see cref="Window"/> ratios measured ÷ profile
/// estimate — a median, so a few outliers (a run slowed by something else) move nothing. Until an (engine,
/// configuration) has <see cref="MinRunsOwn"/> runs of its own, the median of the key's latest runs of every engine
/// stands in (a throttled or loaded machine slows everything it runs). Reports that cannot be right
/// (NaN, infinite, zero or negative times) are ignored. A key is flagged as drifted once at least
/// <see cref="MinRunsForDrift"/> runs are measured and their median leaves the profile's band of ±<see cref="Band"/>.
/// </summary>
public sealed class ProfileCorrections
{
    public const int Window = 15;
    public const int MinRunsForDrift = 3;
    public const double Band = 0.15;
    public const int MinRunsOwn = 3;

    readonly Dictionary<(string Key, string Engine, string Config), Queue<double>> _ratios = [];
    readonly Dictionary<(string Key, string Engine, string Config), double> _factors = [];
    readonly Dictionary<string, Queue<double>> _byKey = new(StringComparer.Ordinal);
    readonly Dictionary<string, double> _keyFactors = new(StringComparer.Ordinal);

    /// <summary>Records one measured run; false (and nothing changes) for a report that cannot be right.</summary>
    public bool Record(string key, string engine, string config, double profileSeconds, double measuredSeconds)
    {
        if (!double.IsFinite(profileSeconds) || !double.IsFinite(measuredSeconds) || profileSeconds <= 0 || measuredSeconds <= 0) return false;
        var k = (key, engine, config);
        if (!_ratios.TryGetValue(k, out var ratios)) _ratios[k] = ratios = new Queue<double>(Window);
        ratios.Enqueue(measuredSeconds / profileSeconds);
        if (ratios.Count > Window) ratios.Dequeue();
        _factors[k] = Median(ratios);
        if (!_byKey.TryGetValue(key, out var all)) _byKey[key] = all = new Queue<double>(Window);
        all.Enqueue(measuredSeconds / profileSeconds);
        if (all.Count > Window) all.Dequeue();
        _keyFactors[key] = Median(all);
        return true;
    }

    /// <summary>The factor to multiply the profile's estimate by (1 until a run is measured).</summary>
    public double Factor(string key, string engine, string config) =>
        _ratios.TryGetValue((key, engine, config), out var own) && own.Count >= MinRunsOwn ? _factors[(key, engine, config)]
        : _keyFactors.GetValueOrDefault(key, 1);

    /// <summary>How many valid runs are kept for the key (at most <see cref="Window"/>).</summary>
    public int Runs(string key, string engine, string config) => _ratios.TryGetValue((key, engine, config), out var r) ? r.Count : 0;

    /// <summary>The keys whose measured times left the profile's band, with their factor.</summary>
    public IEnumerable<(string Key, double Factor)> Drifted() =>
        _keyFactors.Where(f => _byKey[f.Key].Count >= MinRunsForDrift && Math.Abs(f.Value - 1) > Band).Select(f => (f.Key, f.Value));

    /// <summary>True when the latest runs of <paramref name="key"/> (at least <see cref="MinRunsForDrift"/>, every
    /// engine) have a median outside the band.</summary>
    public bool IsDrifted(string key) => _byKey.TryGetValue(key, out var all) && all.Count >= MinRunsForDrift && Math.Abs(_keyFactors[key] - 1) > Band;

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
