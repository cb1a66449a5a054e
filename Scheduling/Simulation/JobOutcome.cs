namespace SynergAI.Scheduling.Simulation;

/// <summary>What happened to one job: where and how it ran, and when (trace seconds); why it was placed there, and why it
/// waited before (<see cref="WaitCode.None"/>: it did not; null: not known, as for a live run); whether it was admitted
/// flagged best-effort.</summary>
public sealed record JobOutcome(Job Job, string Worker, string Config, double StartedSeconds, double CompletedSeconds, string Reason,
    WaitCode? WaitedFor = null, bool BestEffort = false)
{
    public double SubmittedSeconds => Job.ArrivalSeconds;
    public double WaitSeconds => StartedSeconds - Job.ArrivalSeconds;
    public double EndToEndSeconds => CompletedSeconds - Job.ArrivalSeconds;
    public bool Violated => EndToEndSeconds > Job.QosSeconds;
    public double ExcessSeconds => Math.Max(0, EndToEndSeconds - Job.QosSeconds);
}
