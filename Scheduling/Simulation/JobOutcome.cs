namespace SynergAI.Scheduling.Simulation;

/// <summary>What happened to one job: where and how it ran, and when (trace seconds).</summary>
public sealed record JobOutcome(Job Job, string Worker, string Config, double StartedSeconds, double CompletedSeconds, string Reason)
{
    public double SubmittedSeconds => Job.ArrivalSeconds;
    public double WaitSeconds => StartedSeconds - Job.ArrivalSeconds;
    public double EndToEndSeconds => CompletedSeconds - Job.ArrivalSeconds;
    public bool Violated => EndToEndSeconds > Job.QosSeconds;
    public double ExcessSeconds => Math.Max(0, EndToEndSeconds - Job.QosSeconds);
}
