namespace SynergAI.Scheduling.Forecast;

/// <summary>What admitting one more job would bring: its own forecast, and the forecasts (with it) of the waiting jobs
/// it would push past deadlines that the forecast without it meets — promises already made to jobs admitted earlier.
/// Jobs flagged best-effort were promised nothing and are never listed.</summary>
public sealed record ArrivalForecast(JobForecast Forecast, IReadOnlyList<JobForecast> Displaced)
{
    /// <summary>Whether admitting it keeps every promise, its own included; null when it cannot be placed.</summary>
    public bool? KeepsPromises => Admission.KeepsPromises(Forecast.MeetsDeadline, Displaced.Count);
}
