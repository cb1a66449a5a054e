namespace SynergAI.Grains;

/// <summary>One inference job (key: the job id; never all digits): what clients and other services call. The job's own
/// record is the truth about it; the control plane's callbacks are on an interface of the silo's own assembly.</summary>
[Alias("synergai.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job to <paramref name="pool"/>. Idempotent: the same spec again returns the existing job;
    /// another spec under the same id is rejected with <see cref="ArgumentException"/>, as is a bad spec or an engine no
    /// worker of the pool can run — and then nothing is stored or queued.</summary>
    [Alias("Submit")] Task<JobStatus> Submit(JobSpec spec, string pool);

    /// <summary>The job's status, or null if it was never submitted.</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave] Task<JobStatus?> GetStatus();

    /// <summary>Cancels the job: removes it from the queue or stops its running attempt. A finished job stays as it is.</summary>
    [Alias("Cancel")] Task<JobStatus> Cancel();
}
