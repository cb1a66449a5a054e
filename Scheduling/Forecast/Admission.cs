namespace SynergAI.Scheduling.Forecast;

/// <summary>What happens to a job the forecast says cannot meet its deadline: <c>accept</c> it anyway (the default),
/// <c>reject</c> it at submission with the reason and the tightest deadline that would be met (nothing is stored), or
/// <c>best-effort</c>: accept it, flagged.</summary>
public enum AdmissionMode
{
    Accept = 0,
    Reject = 1,
    BestEffort = 2,
}

/// <summary>The admission rule, in one place for the simulator and the pool.</summary>
public static class Admission
{
    public static readonly IReadOnlyList<string> Names = ["accept", "reject", "best-effort"];

    public static AdmissionMode Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "accept" => AdmissionMode.Accept,
        "reject" => AdmissionMode.Reject,
        "best-effort" => AdmissionMode.BestEffort,
        _ => throw new ArgumentException($"unknown admission mode '{name}'; use one of {string.Join(", ", Names)}"),
    };

    public static string Name(AdmissionMode mode) => Names[(int)mode];

    /// <summary>Whether admitting a job keeps every promise (null: it cannot be placed): the forecast with it says it
    /// meets its deadline and pushes no job admitted earlier past a deadline the forecast without it meets. Checking the
    /// earlier jobs too is what makes a promise hold: at noise 0 a job admitted under <c>reject</c> never misses, as no
    /// later arrival that would make it miss is admitted.</summary>
    public static bool? KeepsPromises(bool? meetsDeadline, int displaced) => meetsDeadline is { } meets ? meets && displaced == 0 : null;

    /// <summary>Whether a job is admitted under <paramref name="mode"/>, given <see cref="KeepsPromises"/>: under
    /// <c>reject</c>, only when it keeps every promise.</summary>
    public static bool Admits(AdmissionMode mode, bool? keepsPromises) => mode != AdmissionMode.Reject || keepsPromises == true;

    /// <summary>Whether an admitted job is flagged best-effort (<see cref="Policies.QueuedJob.BestEffort"/>): under
    /// <c>best-effort</c>, when it does not keep every promise. A flagged job is planned only on the workers a round
    /// leaves after every unflagged job (<see cref="Pool.PoolBook.Plan"/>), so it never takes a worker a job that can
    /// still make it was given.</summary>
    public static bool FlagsBestEffort(AdmissionMode mode, bool? keepsPromises) => mode == AdmissionMode.BestEffort && keepsPromises != true;

    /// <summary>Whether admission needs a forecast of the job at all (<c>accept</c> admits and flags nothing).</summary>
    public static bool NeedsForecast(AdmissionMode mode) => mode != AdmissionMode.Accept;

    /// <summary>The one-line refusal: the predicted end against the deadline, or the jobs it would make miss, and the
    /// tightest deadline on offer.</summary>
    public static string Refusal(ArrivalForecast arrival, double? tightestQosSeconds) =>
        Refusal(arrival.Forecast.EndToEndSeconds, arrival.Forecast.Job.QosSeconds, arrival.Forecast.WaitReason,
            [.. arrival.Displaced.Select(d => d.Job.Id)], tightestQosSeconds);

    /// <param name="endToEndSeconds">The predicted time from submission to the end (null: it cannot be placed, for
    /// <paramref name="reason"/>).</param>
    /// <param name="displaced">The waiting jobs it would push past their deadlines.</param>
    public static string Refusal(double? endToEndSeconds, double qosSeconds, string reason, IReadOnlyList<string> displaced, double? tightestQosSeconds) =>
        (endToEndSeconds is not { } e2e ? $"refused by admission control: {reason}"
            : e2e > qosSeconds ? FormattableString.Invariant($"refused by admission control: the forecast finishes it {e2e:0.0} s after submission, past its {qosSeconds:0.###} s deadline")
            : $"refused by admission control: it would make {displaced.Count} waiting job(s) admitted earlier miss their deadlines ({string.Join(", ", displaced.Take(3))}{(displaced.Count > 3 ? ", …" : "")})")
        + (tightestQosSeconds is { } t ? FormattableString.Invariant($"; the tightest deadline that would be met now is {Math.Ceiling(t * 10) / 10:0.0} s") : "; no deadline can be promised now");
}
