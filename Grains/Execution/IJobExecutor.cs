namespace SynergAI.Grains.Execution;

/// <summary>
/// Runs dispatched attempts. <see cref="StartAsync"/> returns once the attempt has started, never when it ends; the
/// executor then reports to the worker's grain: <see cref="IWorkerRuntimeGrain.Heartbeat"/> while it runs and
/// <see cref="IWorkerRuntimeGrain.Report"/> when it ends (success or failure). A report for a stale attempt is ignored by
/// the worker, so an executor may report late or twice without harm. Implementations: <see cref="SimulatedExecutor"/>
/// (waits the estimated run time) and, later, one that runs each attempt as a Kubernetes pod.
/// </summary>
public interface IJobExecutor
{
    /// <summary>Starts the attempt; throwing means it could not start (the attempt counts as failed).</summary>
    Task StartAsync(Dispatch dispatch, CancellationToken cancellationToken);

    /// <summary>Stops the attempt if it is still running; no report follows.</summary>
    Task CancelAsync(string job, int attempt);

    /// <summary>Re-attaches to an attempt started by an earlier activation of the worker's grain (its silo died or
    /// stopped, and the grain came back on another one). True: the attempt still runs and will heartbeat and report as
    /// usual. False: it runs nowhere any more, and the worker hands the job back to the queue at once.</summary>
    Task<bool> ResumeAsync(Dispatch dispatch, CancellationToken cancellationToken);
}
