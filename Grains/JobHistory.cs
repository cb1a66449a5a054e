using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using SynergAI.Grains.Persistence;

namespace SynergAI.Grains;

/// <summary>
/// Each job's latest status, kept where people can query it after the job's grain is gone, and where a pool's
/// coordinator finds the jobs it must hold: a submission is acknowledged only once its row says Queued, so a
/// coordinator that lost arrivals not yet in its own saved queue (its silo died) takes them back from here.
/// </summary>
public interface IJobHistory
{
    /// <summary>Records the job's status; throws if it cannot (after retrying transient errors).</summary>
    Task RecordAsync(JobStatus status);

    /// <summary>The pool's jobs whose last recorded state is Submitted or Queued, oldest submission first.</summary>
    Task<IReadOnlyList<JobHistoryRow>> WaitingAsync(string pool);
}

/// <summary>The embedded default (in-memory storage, which does not outlive its silo anyway): no history beyond the
/// pool's recent jobs.</summary>
public sealed class NoJobHistory : IJobHistory
{
    public Task RecordAsync(JobStatus status) => Task.CompletedTask;

    public Task<IReadOnlyList<JobHistoryRow>> WaitingAsync(string pool) => Task.FromResult<IReadOnlyList<JobHistoryRow>>([]);
}

/// <summary>The <c>synergai_job_history</c> table (see <see cref="PostgresJobHistory"/>): one row per job, upserted at
/// every change of state, never moved back to an older attempt.</summary>
public sealed class PostgresJobHistorySink(NpgsqlDataSource dataSource, ILogger<PostgresJobHistorySink> log) : IJobHistory
{
    readonly ResiliencePipeline _retry = ResilientGrainStorage.TransientRetry(log, "job history");

    public async Task RecordAsync(JobStatus status) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.UpsertAsync(dataSource, status, token));

    public async Task<IReadOnlyList<JobHistoryRow>> WaitingAsync(string pool) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.WaitingAsync(dataSource, pool, token));
}
