using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>The control plane's calls on a worker node (key: the worker name): estimates from its own configuration
/// dictionary, starts, and its executor's heartbeats and reports. Not part of the client contract.</summary>
[Alias("synergai.IWorkerRuntimeGrain")]
public interface IWorkerRuntimeGrain : IGrainWithStringKey
{
    /// <summary><c>T_est</c> and c* of every job in the batch on this worker, computed from its own dictionary.</summary>
    [Alias("Estimate"), AlwaysInterleave] Task<WorkerEstimates> Estimate(EstimateRequest request);

    /// <summary>Reserves the worker for the dispatch and starts it: atomic, a busy worker answers
    /// <see cref="StartResult.Busy"/>.</summary>
    [Alias("Start")] Task<StartResult> Start(Dispatch dispatch);

    /// <summary>The executor's sign of life for the running attempt. False: the worker no longer holds this attempt
    /// (it declared it lost and its job may already run elsewhere), so the executor must stop it at once.</summary>
    [Alias("Heartbeat"), AlwaysInterleave] Task<bool> Heartbeat(string job, int attempt);

    /// <summary>The executor's report that an attempt ended; a report for any attempt but the running one is ignored.</summary>
    [Alias("Report")] Task Report(ExecutionReport report);

    /// <summary>Stops the running attempt if it is this one.</summary>
    [Alias("Cancel")] Task Cancel(string job, int attempt);
}
