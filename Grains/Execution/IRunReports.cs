namespace SynergAI.Grains.Execution;

/// <summary>Where an executor reports on the attempts it runs: the worker's grain in a silo, a recorder in tests.</summary>
public interface IRunReports
{
    /// <summary>A sign of life of the running attempt; false when its worker no longer holds it (stop it).</summary>
    Task<bool> Heartbeat(string job, int attempt);

    /// <summary>The attempt ended.</summary>
    Task Report(ExecutionReport report);
}

/// <summary>Reports to the worker's grain.</summary>
public sealed class WorkerGrainReports(IWorkerRuntimeGrain worker) : IRunReports
{
    public Task<bool> Heartbeat(string job, int attempt) => worker.Heartbeat(job, attempt);

    public Task Report(ExecutionReport report) => worker.Report(report);
}
