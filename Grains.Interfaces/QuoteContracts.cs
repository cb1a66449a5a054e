namespace SynergAI.Grains;

/// <summary>What submitting <see cref="Spec"/> to <see cref="Pool"/> now would bring, by the pool's forecast (its own
/// policy run forward on its queue and workers). Seconds are model seconds from <see cref="QuotedAt"/>; nothing was
/// stored. <see cref="Worker"/> is null when no worker of the pool can run the engine.</summary>
[GenerateSerializer, Immutable, Alias("synergai.JobQuote")]
public sealed record JobQuote(
    [property: Id(0)] string Pool,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] string? Worker,
    [property: Id(3)] string? Config,
    [property: Id(4)] double? StartsInSeconds,
    [property: Id(5)] double? FinishesInSeconds,
    [property: Id(6)] bool? MeetsDeadline,
    // The tightest deadline (QoS seconds) the forecast says would be met if submitted now; null: none.
    [property: Id(7)] double? TightestQosSeconds,
    [property: Id(8)] DateTimeOffset QuotedAt,
    [property: Id(9)] double TimeScale,
    // Jobs waiting in the pool when quoted.
    [property: Id(10)] int Queued,
    // <c>None</c>, or a wait-reason code such as <c>NoWorkerForEngine</c>, with its words.
    [property: Id(11)] string Code,
    [property: Id(12)] string Reason,
    // The waiting jobs, admitted earlier, that it would push past deadlines they meet without it (admission control
    // under reject refuses it then; under best-effort it is flagged).
    [property: Id(13)] IReadOnlyList<string> Displaces)
{
    /// <summary>The predicted start as a real time, or null when no worker can run the job.</summary>
    public DateTimeOffset? StartAt => StartsInSeconds is { } s ? QuotedAt + TimeSpan.FromSeconds(s * TimeScale) : null;
    /// <summary>The predicted finish as a real time, or null when no worker can run the job.</summary>
    public DateTimeOffset? FinishAt => FinishesInSeconds is { } s ? QuotedAt + TimeSpan.FromSeconds(s * TimeScale) : null;
}

/// <summary>One waiting job in the pool's forecast: its place in the queue (1: first in arrival order), where and when
/// it is predicted to run (model seconds from <see cref="QueueForecast.ForecastAt"/>; null when no worker of the pool
/// can run it), whether it would meet its deadline, and why it waits now (<c>AllAcceptableWorkersBusy</c>, … — the
/// scheduling core's wait codes, with words).</summary>
[GenerateSerializer, Immutable, Alias("synergai.WaitingJobForecast")]
public sealed record WaitingJobForecast(
    [property: Id(0)] string Job,
    [property: Id(1)] int Position,
    [property: Id(2)] string? Worker,
    [property: Id(3)] string? Config,
    [property: Id(4)] double? StartsInSeconds,
    [property: Id(5)] double? FinishesInSeconds,
    [property: Id(6)] bool? MeetsDeadline,
    [property: Id(7)] string WaitCode,
    [property: Id(8)] string WaitReason);

/// <summary>The pool's forecast for every waiting job, by its own policy run forward on its queue and workers as of
/// <see cref="ForecastAt"/> (no further arrivals, every run as long as its estimate). Nothing was stored.</summary>
[GenerateSerializer, Immutable, Alias("synergai.QueueForecast")]
public sealed record QueueForecast(
    [property: Id(0)] string Pool,
    [property: Id(1)] DateTimeOffset ForecastAt,
    [property: Id(2)] double TimeScale,
    [property: Id(3)] IReadOnlyList<WaitingJobForecast> Jobs)
{
    /// <summary>The real time <paramref name="modelSeconds"/> after <see cref="ForecastAt"/>, or null.</summary>
    public DateTimeOffset? At(double? modelSeconds) => modelSeconds is { } s ? ForecastAt + TimeSpan.FromSeconds(s * TimeScale) : null;

    /// <summary>The forecast of job <paramref name="id"/>, or null when it is not waiting.</summary>
    public WaitingJobForecast? Of(string id) => Jobs.FirstOrDefault(j => j.Job == id);
}
