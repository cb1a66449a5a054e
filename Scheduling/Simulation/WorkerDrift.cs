using System.Globalization;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Scheduling.Simulation;

/// <summary>A worker whose real run times become <paramref name="Factor"/> × its profile's from
/// <paramref name="FromSeconds"/> on (thermal throttling, a co-located load, a new engine build): what the profile
/// does not know, so that its effect (and learning's) can be measured offline.</summary>
public sealed record WorkerDrift(string Worker, double Factor, double FromSeconds = 0)
{
    /// <summary>Parses <c>WORKER=FACTOR[@TIME]</c> (time in trace seconds, default 0).</summary>
    public static WorkerDrift Parse(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"drift '{text}' is not WORKER=FACTOR[@TIME], e.g. agx=1.5@600");
        var worker = text[..eq].Trim();
        var rest = text[(eq + 1)..];
        var at = rest.IndexOf('@');
        var factorText = at < 0 ? rest : rest[..at];
        if (!double.TryParse(factorText, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) || !double.IsFinite(factor) || factor <= 0)
            throw new ArgumentException($"drift '{text}': the factor must be a positive number, got '{factorText}'");
        var from = 0.0;
        if (at >= 0 && (!double.TryParse(rest[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out from) || !double.IsFinite(from) || from < 0))
            throw new ArgumentException($"drift '{text}': the time must be a number of seconds ≥ 0, got '{rest[(at + 1)..]}'");
        return new WorkerDrift(worker, factor, from);
    }

    /// <summary>The drifts by worker index of <paramref name="book"/>; an unknown worker is an error.</summary>
    internal static WorkerDrift?[] ByWorker(IReadOnlyList<WorkerDrift> drifts, PoolBook book)
    {
        var byWorker = new WorkerDrift?[book.Workers.Count];
        foreach (var drift in drifts)
            byWorker[book.TryGetWorker(drift.Worker, out var w) ? w
                : throw new ArgumentException($"drift names worker '{drift.Worker}', which is not in the testbed; known: {string.Join(", ", book.Workers.Select(x => x.Worker.Name))}")] = drift;
        return byWorker;
    }

    /// <summary>The factor of a run started on <paramref name="worker"/> at <paramref name="now"/>.</summary>
    internal static double FactorAt(WorkerDrift?[] byWorker, int worker, double now) =>
        byWorker[worker] is { } d && now >= d.FromSeconds ? d.Factor : 1;
}
