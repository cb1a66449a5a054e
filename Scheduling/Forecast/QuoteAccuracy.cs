using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Forecast;

/// <summary>How well the quotes given at submission predicted each job's end: the absolute error of the quoted
/// end-to-end time as a share of the actual one. Split by whether a job was <b>overtaken</b> (a job submitted after it
/// started before it): the quote plans the queue as it stands, so a later, more urgent arrival moves a quoted job back
/// — expected, and the main source of error.</summary>
public sealed record QuoteAccuracy(int Jobs, int Quoted, double MedianError, double P90Error,
    int Overtaken, double MedianErrorOvertaken, double MedianErrorInOrder)
{
    /// <param name="outcomes">What happened to each job (trace seconds).</param>
    /// <param name="quotedEndToEnd">Per job id, the quote's end-to-end seconds at submission (missing or null: the
    /// quote could not place it; such jobs are not counted).</param>
    public static QuoteAccuracy Of(IReadOnlyList<JobOutcome> outcomes, IReadOnlyDictionary<string, double?> quotedEndToEnd)
    {
        var errors = new List<(double Error, bool Overtaken)>(outcomes.Count);
        foreach (var o in outcomes)
        {
            if (quotedEndToEnd.GetValueOrDefault(o.Job.Id) is not { } quoted || o.EndToEndSeconds <= 0) continue;
            var overtaken = outcomes.Any(k => k.Job.ArrivalSeconds > o.Job.ArrivalSeconds && k.StartedSeconds < o.StartedSeconds);
            errors.Add((Math.Abs(quoted - o.EndToEndSeconds) / o.EndToEndSeconds, overtaken));
        }
        double Median(IEnumerable<double> values) => values.ToArray() is { Length: > 0 } a ? TraceGenerator.Quantile(a, 0.5) : double.NaN;
        return new QuoteAccuracy(outcomes.Count, errors.Count,
            Median(errors.Select(e => e.Error)),
            errors.Count == 0 ? double.NaN : TraceGenerator.Quantile(errors.Select(e => e.Error), 0.9),
            errors.Count(e => e.Overtaken),
            Median(errors.Where(e => e.Overtaken).Select(e => e.Error)),
            Median(errors.Where(e => !e.Overtaken).Select(e => e.Error)));
    }

    /// <summary>The figures in one line, as the live experiment prints them.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"quote error (|quoted − actual e2e| ÷ actual): median {Percent(MedianError)}, p90 {Percent(P90Error)} over {Quoted} of {Jobs} jobs; {Overtaken} overtaken by a later arrival (median {Percent(MedianErrorOvertaken)}), the rest median {Percent(MedianErrorInOrder)}");

    static string Percent(double share) => double.IsNaN(share) ? "-" : FormattableString.Invariant($"{share * 100:0.0}%");
}
