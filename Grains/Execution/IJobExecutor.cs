namespace SynergAI.Grains.Execution;

/// <summary>
/// Runs dispatched attempts. <see cref="StartAsync"/> returns once the attempt has started, never when it ends; the
/// executor then reports to the worker's grain: <see cref="IWorkerNodeGrain.Heartbeat"/> while it runs and
/// <see cref="IWorkerNodeGrain.Report"/> when it ends (success or failure). A report for a stale attempt is ignored by
/// the worker, so an executor may report late or twice without harm. Implementations: <see cref="SimulatedExecutor"/>
/// (waits the estimated run time) and, later, one that runs each attempt as a Kubernetes pod.
/// </summary>
public interface IJobExecutor
{
    /// <summary>Starts the attempt; throwing means it could not start (the attempt counts as failed).</summary>
    Task StartAsync(Dispatch dispatch, CancellationToken cancellationToken);

    /// <summary>Stops the attempt if it is still running; no report follows.</summary>
    Task CancelAsync(string job, int attempt);
}
