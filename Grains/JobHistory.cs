using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using SynergAI.Grains.Persistence;

namespace SynergAI.Grains;

/// <summary>
/// Each job's latest status, kept where people can query it after the job's grain is gone, and the index through which
/// a pool's shards find the jobs they must hold: a submission is acknowledged only once its row says Queued, so a shard
/// rebuilt on another silo (its silo died) takes its waiting jobs back from here, and its anti-entropy sweep finds the
/// attempts recorded on workers that do not run them.
/// </summary>
public interface IJobHistory
{
    /// <summary>Records the job's status; throws if it cannot (after retrying transient errors).</summary>
    Task RecordAsync(JobStatus status);

    /// <summary>The pool's jobs whose last recorded state is Submitted, Queued, Dispatched or Running, oldest
    /// submission first.</summary>
    Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(string pool);
}

/// <summary>The embedded default (in-memory storage, which does not outlive its silo anyway): the unfinished jobs
/// recorded on this silo, so that a shard deactivated and activated again here rebuilds its queue. Finished jobs are
/// dropped, so it holds no more than the work in flight.</summary>
public sealed class InMemoryJobHistory : IJobHistory
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, JobStatus> _unfinished = new(StringComparer.Ordinal);

    public Task RecordAsync(JobStatus status)
    {
        if (status.IsFinished) _unfinished.TryRemove(status.Id, out _);
        else _unfinished.AddOrUpdate(status.Id, status, (_, known) => known.Attempts > status.Attempts ? known : status);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(string pool) => Task.FromResult<IReadOnlyList<JobHistoryRow>>(
        [.. _unfinished.Values.Where(s => s.Pool == pool).OrderBy(s => s.SubmittedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Select(JobHistoryRow.Of)]);
}

/// <summary>The <c>synergai_job_history</c> table (see <see cref="PostgresJobHistory"/>): one row per job, upserted at
/// every change of state, never moved back to an older attempt.</summary>
public sealed class PostgresJobHistorySink(NpgsqlDataSource dataSource, ILogger<PostgresJobHistorySink> log) : IJobHistory
{
    readonly ResiliencePipeline _retry = ResilientGrainStorage.TransientRetry(log, "job history");

    public async Task RecordAsync(JobStatus status) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.UpsertAsync(dataSource, status, token));

    public async Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(string pool) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.UnfinishedAsync(dataSource, pool, token));
}
