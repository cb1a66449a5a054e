using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>One inference job (key: the job id; never all digits). Owns the job's spec and lifecycle.</summary>
[Alias("synergai.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job to <paramref name="pool"/>. Idempotent: the same spec again returns the existing job;
    /// another spec under the same id is rejected with <see cref="ArgumentException"/>, as is a bad spec or an engine no
    /// worker of the pool can run — and then nothing is stored or queued.</summary>
    [Alias("Submit")] Task<JobStatus> Submit(JobSpec spec, string pool);

    /// <summary>The job's status, or null if it was never submitted.</summary>
    [Alias("GetStatus"), AlwaysInterleave] Task<JobStatus?> GetStatus();

    /// <summary>Cancels the job: removes it from the queue or stops its running attempt. A finished job stays as it is.</summary>
    [Alias("Cancel")] Task<JobStatus> Cancel();

    // Lifecycle callbacks from the control plane; they interleave with Submit and Cancel (no call cycle can deadlock)
    // and are fenced by the attempt number, so a late or duplicate callback changes nothing.

    /// <summary>A worker is about to start the attempt; false if the job no longer wants to run (cancelled).</summary>
    [Alias("OnDispatched"), AlwaysInterleave] Task<bool> OnDispatched(Dispatch dispatch);
    [Alias("OnRunning"), AlwaysInterleave] Task OnRunning(int attempt, DateTimeOffset at);
    [Alias("OnFinished"), AlwaysInterleave] Task OnFinished(int attempt, bool succeeded, DateTimeOffset at, string? error);
    [Alias("OnRequeued"), AlwaysInterleave] Task OnRequeued(int attempt, string reason);
}

/// <summary>A worker node (key: the worker name). Holds its spec, its own configuration dictionary and whether it is
/// free; runs one job at a time through the executor.</summary>
[Alias("synergai.IWorkerNodeGrain")]
public interface IWorkerNodeGrain : IGrainWithStringKey
{
    /// <summary>Registers (or re-registers) the worker with its profile in <paramref name="pool"/>. A bad profile is
    /// rejected with <see cref="ArgumentException"/> and changes nothing.</summary>
    [Alias("Register")] Task<WorkerStatus> Register(WorkerSpec spec, ProfilePoint[] profile, string pool);

    [Alias("GetStatus"), AlwaysInterleave] Task<WorkerStatus> GetStatus();

    /// <summary><c>T_est</c> and c* of every job in the batch on this worker, computed from its own dictionary.</summary>
    [Alias("Estimate"), AlwaysInterleave] Task<WorkerEstimates> Estimate(EstimateRequest request);

    /// <summary>Reserves the worker for the dispatch and starts it: atomic, a busy worker answers
    /// <see cref="StartResult.Busy"/>.</summary>
    [Alias("Start")] Task<StartResult> Start(Dispatch dispatch);

    /// <summary>The executor's sign of life for the running attempt.</summary>
    [Alias("Heartbeat"), AlwaysInterleave] Task Heartbeat(string job, int attempt);

    /// <summary>The executor's report that an attempt ended; a report for any attempt but the running one is ignored.</summary>
    [Alias("Report")] Task Report(ExecutionReport report);

    /// <summary>Stops the running attempt if it is this one.</summary>
    [Alias("Cancel")] Task Cancel(string job, int attempt);
}

/// <summary>The queue and dispatch loop of one pool of workers (key: the pool name, <c>default</c> unless configured).</summary>
[Alias("synergai.IQueueCoordinatorGrain")]
public interface IQueueCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Queues a job (again: idempotent) and answers the pool's settings; <see cref="ArgumentException"/> if no
    /// worker of the pool can run its engine.</summary>
    [Alias("Enqueue")] Task<PoolSettings> Enqueue(string job, JobSpec spec, DateTimeOffset submittedAt);

    /// <summary>Removes a queued job; false if it is not queued (already dispatched, or unknown).</summary>
    [Alias("Remove")] Task<bool> Remove(string job);

    /// <summary>A failed attempt goes back into the queue (the coordinator still holds its spec).</summary>
    [Alias("Requeue")] Task Requeue(string job, int failedAttempt, string reason);

    /// <summary>A job left the worker (completed, failed, cancelled or lost): the worker is free again.</summary>
    [Alias("WorkerFreed")] Task WorkerFreed(string worker, string job, int attempt);

    /// <summary>A worker (re)registered with the engines it can run and its strength (mean default-configuration QPS,
    /// for Best Effort); queued jobs are re-estimated.</summary>
    [Alias("WorkerRegistered")] Task WorkerRegistered(string worker, string[] engines, double strength);

    /// <summary>A worker moved to another pool: it takes no more jobs here.</summary>
    [Alias("WorkerLeft")] Task WorkerLeft(string worker);

    [Alias("GetStatus")] Task<PoolStatus> GetStatus();

    /// <summary>Job ids the pool knows: queued, running and the most recent finished ones.</summary>
    [Alias("ListJobs")] Task<IReadOnlyList<string>> ListJobs();

    /// <summary>Changes the policy, time scale or re-evaluation interval; only while nothing is queued or running.</summary>
    [Alias("Configure")] Task<PoolSettings> Configure(PoolSettings settings);

    /// <summary>One full re-evaluation: re-estimates every queued job on every worker, then runs a policy round.</summary>
    [Alias("Reevaluate")] Task<ReevaluationTiming> Reevaluate();

    /// <summary>After a silo died or the cluster restarted: asks each worker whether it still runs the attempt the pool
    /// believes it runs, and sends each lost attempt's job back to the queue. Answers how many went back.</summary>
    [Alias("Recover")] Task<int> Recover();
}

/// <summary>The pools the cluster has (one grain, key <see cref="Key"/>), so that recovery after a silo failure can
/// visit every pool's coordinator.</summary>
public interface IPoolDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "pools";

    [Alias("Add")] Task Add(string pool);

    [Alias("List"), AlwaysInterleave] Task<IReadOnlyList<string>> List();
}
