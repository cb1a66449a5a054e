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

    /// <summary>Whether a job is admitted under <paramref name="mode"/>, given whether its forecast meets its deadline
    /// (null: it cannot be placed): under <c>reject</c>, only when the forecast places it and says it meets it.</summary>
    public static bool Admits(AdmissionMode mode, bool? meetsDeadline) => mode != AdmissionMode.Reject || meetsDeadline == true;

    /// <summary>Whether an admitted job is flagged best-effort (<see cref="Policies.QueuedJob.BestEffort"/>): under
    /// <c>best-effort</c>, when the forecast does not say it meets its deadline. A flagged job is planned only on the
    /// workers a round leaves after every unflagged job (<see cref="Pool.PoolBook.Plan"/>), so it never takes a worker
    /// a job that can still make it was given.</summary>
    public static bool FlagsBestEffort(AdmissionMode mode, bool? meetsDeadline) => mode == AdmissionMode.BestEffort && meetsDeadline != true;

    /// <summary>Whether admission needs a forecast of the job at all (<c>accept</c> admits and flags nothing).</summary>
    public static bool NeedsForecast(AdmissionMode mode) => mode != AdmissionMode.Accept;

    /// <summary>The one-line refusal: the predicted end against the deadline, and the tightest deadline on offer.</summary>
    public static string Refusal(JobForecast forecast, double? tightestQosSeconds) =>
        Refusal(forecast.EndToEndSeconds, forecast.Job.QosSeconds, forecast.WaitReason, tightestQosSeconds);

    /// <param name="endToEndSeconds">The predicted time from submission to the end (null: it cannot be placed, for
    /// <paramref name="reason"/>).</param>
    public static string Refusal(double? endToEndSeconds, double qosSeconds, string reason, double? tightestQosSeconds) =>
        (endToEndSeconds is { } e2e
            ? FormattableString.Invariant($"refused by admission control: the forecast finishes it {e2e:0.0} s after submission, past its {qosSeconds:0.###} s deadline")
            : $"refused by admission control: {reason}")
        + (tightestQosSeconds is { } t ? FormattableString.Invariant($"; the tightest deadline that would be met now is {Math.Ceiling(t * 10) / 10:0.0} s") : "; no deadline can be promised now");
}
