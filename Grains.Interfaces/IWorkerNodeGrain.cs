namespace SynergAI.Grains;

/// <summary>A worker node (key: the worker name): registration and status. Estimates, starts and the executor's
/// reports are on an interface of the silo's own assembly.</summary>
[Alias("synergai.IWorkerNodeGrain")]
public interface IWorkerNodeGrain : IGrainWithStringKey
{
    /// <summary>Registers (or re-registers) the worker with its profile in <paramref name="pool"/>. A bad profile is
    /// rejected with <see cref="ArgumentException"/> and changes nothing.</summary>
    [Alias("Register")] Task<WorkerStatus> Register(WorkerSpec spec, ProfilePoint[] profile, string pool);

    /// <summary>The worker's spec, condition, running attempt, configuration dictionary and drift flag, as its grain
    /// knows them (answered between its other calls).</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave] Task<WorkerStatus> GetStatus();
}
