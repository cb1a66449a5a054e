namespace SynergAI.Scheduling.Forecast;

/// <summary>What the forecast expects for one waiting job: where it will run, in which configuration, when it starts
/// and finishes (model seconds), whether it meets its deadline, and why it waits now. Worker, configuration and times
/// are null when the forecast cannot place it (no worker of the pool runs its engine).</summary>
public sealed record JobForecast(Job Job, int Position, string? Worker, string? Config, double? StartSeconds, double? FinishSeconds,
    WaitCode WaitCode, string WaitReason)
{
    /// <summary>Null when it cannot be placed.</summary>
    public bool? MeetsDeadline => FinishSeconds is { } finish ? finish - Job.ArrivalSeconds <= Job.QosSeconds : null;

    /// <summary>The predicted time from submission to the end of its run, or null.</summary>
    public double? EndToEndSeconds => FinishSeconds - Job.ArrivalSeconds;
}
