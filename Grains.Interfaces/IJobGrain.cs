namespace SynergAI.Grains;

/// <summary>One inference job (key: the job id; never all digits): what clients and other services call. The job's own
/// record is the truth about it; the control plane's callbacks are on an interface of the silo's own assembly.</summary>
[Alias("synergai.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job to <paramref name="pool"/>. Idempotent: the same spec again returns the existing job.
    /// A refused submission stores and queues nothing.</summary>
    /// <exception cref="ArgumentException">The spec, the id or the pool name is malformed.</exception>
    /// <exception cref="JobConflictException">The id is taken by a job with another spec or pool.</exception>
    /// <exception cref="UnknownEngineException">No worker of the pool can run the engine.</exception>
    /// <exception cref="PoolNotReadyException">The pool has no workers (yet).</exception>
    /// <exception cref="AdmissionRefusedException">Under admission <c>reject</c>, the forecast says it would miss its deadline.</exception>
    [Alias("Submit")] Task<JobStatus> Submit(JobSpec spec, string pool);

    /// <summary>The job's status, or null if it was never submitted.</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave] Task<JobStatus?> GetStatus();

    /// <summary>Cancels the job: removes it from the queue or stops its running attempt. A finished job stays as it is.</summary>
    /// <exception cref="UnknownJobException">No job has this id.</exception>
    [Alias("Cancel")] Task<JobStatus> Cancel();

    /// <summary>Subscribes <paramref name="observer"/> to the job's changes (or renews its subscription, which lapses
    /// after a minute without renewal) and returns the changes after <paramref name="after"/> it has not seen yet.</summary>
    /// <exception cref="UnknownJobException">No job has this id.</exception>
    [Alias("Watch"), Orleans.Concurrency.AlwaysInterleave] Task<IReadOnlyList<JobChange>> Watch(IJobObserver observer, int after);

    /// <summary>Ends <paramref name="observer"/>'s subscription.</summary>
    [Alias("Unwatch"), Orleans.Concurrency.AlwaysInterleave] Task Unwatch(IJobObserver observer);

    /// <summary>The changes after sequence number <paramref name="after"/> that this activation of the job's grain
    /// knows, oldest first (after the grain moved silo, from its stored state on).</summary>
    /// <exception cref="UnknownJobException">No job has this id.</exception>
    [Alias("Changes"), Orleans.Concurrency.AlwaysInterleave] Task<IReadOnlyList<JobChange>> Changes(int after);
}
