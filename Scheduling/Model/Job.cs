namespace SynergAI.Scheduling;

/// <summary>An inference job: run <paramref name="Queries"/> queries of <paramref name="Engine"/> and finish
/// within <paramref name="QosSeconds"/> of arriving (a row of <c>trace.csv</c>).</summary>
public sealed record Job(string Id, double ArrivalSeconds, string Engine, int Queries, double QosSeconds)
{
    public double DeadlineSeconds => ArrivalSeconds + QosSeconds;
}
