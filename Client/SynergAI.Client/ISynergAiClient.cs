using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>
/// The SynergAI control plane as a .NET API: submit, inspect, watch and cancel jobs; list and register workers; read
/// and configure pools. Get it from dependency injection (<c>services.AddSynergAiClient(…)</c> in any .NET process,
/// <c>services.AddSynergAiClientInSilo()</c> inside a silo), or mock it in tests.
/// </summary>
/// <remarks>
/// Every call is retried by one policy while the cluster is unavailable (see <see cref="SynergAiClientOptions.RetryFor"/>)
/// and then fails with <see cref="ClusterUnreachableException"/>; refusals (<see cref="SynergAiException"/>) and bad
/// arguments (<see cref="ArgumentException"/>) are answers and are not retried. Cancelling a call's token stops the
/// waiting, not the work: a submission that was sent may still be accepted (look it up by its id).
/// </remarks>
public interface ISynergAiClient
{
    /// <summary>Submits a job to <paramref name="pool"/> and returns its status (Queued, or further along). Idempotent:
    /// the same id, spec and pool again returns the existing job. Without <paramref name="id"/>, one is made here
    /// (<see cref="SynergAiClient.NewJobId"/>) before anything is sent, so the submission can be retried and found.</summary>
    /// <param name="spec">What to run.</param>
    /// <param name="id">The job id (never all digits); null: a new <c>job-{guid}</c>.</param>
    /// <param name="pool">The pool of workers.</param>
    /// <param name="cancellationToken">Stops waiting; the job may still have been accepted.</param>
    /// <exception cref="ArgumentException">The spec, id or pool name is malformed; nothing was sent.</exception>
    /// <exception cref="JobConflictException">The id is taken by a job with another spec or pool.</exception>
    /// <exception cref="UnknownEngineException">No worker of the pool can run the engine.</exception>
    /// <exception cref="PoolNotReadyException">The pool still had no workers after <see cref="SynergAiClientOptions.PoolReadyWait"/>.</exception>
    /// <exception cref="AdmissionRefusedException">The pool refused to admit the job.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer within <see cref="SynergAiClientOptions.RetryFor"/>.</exception>
    /// <exception cref="JobSubmissionCancelledException">Cancelled; says the job's id, which may have been accepted.</exception>
    Task<JobStatus> SubmitAsync(JobSpec spec, string? id = null, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default);

    /// <summary>The job's status, or null if no job has this id.</summary>
    /// <exception cref="ArgumentException">The id is malformed.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Cancels the job — takes it out of the queue or stops its running attempt — and returns its status; a
    /// finished job stays as it is. Idempotent.</summary>
    /// <exception cref="UnknownJobException">No job has this id.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<JobStatus> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Yields the job's status now and then at every change of state or attempt, in order, each once, until it
    /// is Completed, Failed or Cancelled. Changes are pushed by the job's grain; polling is only the fallback.</summary>
    /// <exception cref="UnknownJobException">No job has this id (or it was lost with an in-memory silo).</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    IAsyncEnumerable<JobStatus> WatchAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Waits until the job is Completed, Failed or Cancelled and returns its final status.</summary>
    /// <exception cref="UnknownJobException">No job has this id.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<JobStatus> WaitForCompletionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every job of the pool's index, oldest submission first, read a page at a time (<see cref="ListJobsAsync(JobQuery, CancellationToken)"/>):
    /// on PostgreSQL every job ever submitted to the pool, in memory the unfinished ones and the latest 10,000 finished.</summary>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<IReadOnlyList<JobStatus>> ListJobsAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default);

    /// <summary>Every job that matches <paramref name="query"/>, oldest submission first: its pages read one after another
    /// from the query's (<see cref="JobQuery.PageSize"/> at a time), each answered by the job history in one call.</summary>
    /// <exception cref="ArgumentException">The query is malformed (<see cref="JobQuery.Problem"/>).</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<IReadOnlyList<JobStatus>> ListAllJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>One page of the pool's jobs that match <paramref name="query"/> (state, engine, submission time), oldest
    /// submission first, answered by the job history in one call; pass the page's
    /// <see cref="JobPage.ContinuationToken"/> in the next query for the next page.</summary>
    /// <exception cref="ArgumentException">The query is malformed (<see cref="JobQuery.Problem"/>).</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>The pool's workers, each as its grain knows it.</summary>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<IReadOnlyList<WorkerStatus>> ListWorkersAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default);

    /// <summary>Registers (or re-registers: idempotent) a worker with its profile in <paramref name="pool"/>.</summary>
    /// <exception cref="ArgumentException">The spec or profile is bad; nothing changed.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<WorkerStatus> RegisterWorkerAsync(WorkerSpec spec, IEnumerable<ProfilePoint> profile, string pool = SynergAiClientOptions.DefaultPool,
        CancellationToken cancellationToken = default);

    /// <summary>The pool's settings, workers, engines, queue and running count. Reading never creates a pool.</summary>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<PoolStatus> GetPoolAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default);

    /// <summary>What submitting <paramref name="spec"/> to <paramref name="pool"/> now would bring — predicted worker,
    /// configuration, start, finish, whether the deadline is met, and the tightest deadline that would be — by the pool's
    /// forecast. Nothing is stored.</summary>
    /// <exception cref="ArgumentException">The spec or pool name is malformed.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<JobQuote> QuoteAsync(JobSpec spec, string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default);

    /// <summary>Every waiting job of the pool in arrival order: its position, the predicted worker, configuration, start
    /// and finish, whether it would meet its deadline, and why it waits now — by the pool's forecast (its own policy run
    /// forward on its queue and workers, no further arrivals). Nothing is stored.</summary>
    /// <exception cref="ArgumentException">The pool name is malformed.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<QueueForecast> ForecastAsync(string pool = SynergAiClientOptions.DefaultPool, CancellationToken cancellationToken = default);

    /// <summary>Changes the pool's policy, time scale, re-evaluation interval and shard count, only while it is idle.
    /// Idempotent.</summary>
    /// <exception cref="ArgumentException">The settings are bad.</exception>
    /// <exception cref="InvalidOperationException">Jobs are queued or running.</exception>
    /// <exception cref="ClusterUnreachableException">The cluster did not answer.</exception>
    Task<PoolSettings> ConfigurePoolAsync(string pool, PoolSettings settings, CancellationToken cancellationToken = default);
}
