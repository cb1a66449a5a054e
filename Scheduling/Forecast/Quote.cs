namespace SynergAI.Scheduling.Forecast;

/// <summary>What submitting a job now would bring: its forecast, and the tightest deadline (QoS seconds from
/// submission) the forecast says would be met, null when the pool cannot run it at all.</summary>
public sealed record Quote(JobForecast Forecast, double? TightestQosSeconds);
