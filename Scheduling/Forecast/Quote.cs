namespace SynergAI.Scheduling.Forecast;

/// <summary>What submitting a job now would bring (<see cref="Arrival"/>), and the tightest deadline (QoS seconds from
/// submission) at which it would be admitted under <c>reject</c>: met, and displacing no one. Null when the pool cannot
/// run it at all, or no deadline can be promised.</summary>
public sealed record Quote(ArrivalForecast Arrival, double? TightestQosSeconds)
{
    public JobForecast Forecast => Arrival.Forecast;
}
