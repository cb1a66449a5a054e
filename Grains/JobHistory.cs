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

    /// <summary>The page of the pool's jobs <paramref name="query"/> asks for, oldest submission first;
    /// <paramref name="timeScale"/> is the pool's, for statuses of jobs the history holds only as rows.</summary>
    Task<JobPage> QueryAsync(JobQuery query, double timeScale) =>
        throw new NotSupportedException($"{GetType().Name} cannot list jobs");
}

/// <summary>The embedded default (in-memory storage, which does not outlive its silo anyway): the unfinished jobs
/// recorded on this silo, so that a shard deactivated and activated again here rebuilds its queue, and the latest
/// <see cref="FinishedKept"/> finished ones, for listings.</summary>
public sealed class InMemoryJobHistory : IJobHistory
{
    /// <summary>How many finished jobs are kept for listings (the oldest finished go first).</summary>
    public const int FinishedKept = 10_000;

    readonly System.Collections.Concurrent.ConcurrentDictionary<string, JobStatus> _unfinished = new(StringComparer.Ordinal);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, JobStatus> _finished = new(StringComparer.Ordinal);
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _finishedOrder = new();

    public Task RecordAsync(JobStatus status)
    {
        if (_finished.TryGetValue(status.Id, out var done) && !JobProgress.IsNoOlder(status, done)) return Task.CompletedTask;
        if (status.IsFinished)
        {
            _unfinished.TryRemove(status.Id, out _);
            if (_finished.TryAdd(status.Id, status)) _finishedOrder.Enqueue(status.Id);
            else _finished[status.Id] = status;
            while (_finished.Count > FinishedKept && _finishedOrder.TryDequeue(out var oldest)) _finished.TryRemove(oldest, out _);
        }
        else _unfinished.AddOrUpdate(status.Id, status, (_, known) => JobProgress.IsNoOlder(status, known) ? status : known);
        return Task.CompletedTask;
    }

    public Task<JobPage> QueryAsync(JobQuery query, double timeScale)
    {
        var after = query.ContinuationToken is { } token ? JobQuery.ParseToken(token) : null;
        var matching = _unfinished.Values.Concat(_finished.Values)
            .Where(s => query.Matches(s) && (after is not { } a || JobQuery.IsAfter(s, a)))
            .OrderBy(s => s.SubmittedAt.UtcTicks).ThenBy(s => s.Id, StringComparer.Ordinal)
            .Take(query.PageSize + 1).ToList();
        var more = matching.Count > query.PageSize;
        var page = matching.Take(query.PageSize).ToList();
        return Task.FromResult(new JobPage(page, more ? JobQuery.TokenAfter(page[^1]) : null));
    }

    public Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(string pool) => Task.FromResult<IReadOnlyList<JobHistoryRow>>(
        [.. _unfinished.Values.Where(s => s.Pool == pool).OrderBy(s => s.SubmittedAt).ThenBy(s => s.Id, StringComparer.Ordinal).Select(JobHistoryRow.Of)]);
}

/// <summary>The <c>synergai_job_history</c> table (see <see cref="PostgresJobHistory"/>): one row per job, upserted at
/// every change of state, never moved back (<see cref="JobProgress"/>). The silo's concurrent upserts share batches
/// (<see cref="GroupCommit{T}"/>): under load one round trip and one commit carry many jobs' rows.</summary>
public sealed class PostgresJobHistorySink : IJobHistory
{
    readonly NpgsqlDataSource dataSource;
    readonly ResiliencePipeline _retry;
    readonly GroupCommit<JobStatus> _upserts;

    public PostgresJobHistorySink(NpgsqlDataSource dataSource, ILogger<PostgresJobHistorySink> log)
    {
        this.dataSource = dataSource;
        _retry = ResilientGrainStorage.TransientRetry(log, "job history");
        _upserts = new GroupCommit<JobStatus>(async batch =>
            await _retry.ExecuteAsync(async token => await PostgresJobHistory.UpsertAsync(dataSource, batch, token)));
    }

    public Task RecordAsync(JobStatus status) => _upserts.WriteAsync(status);

    public async Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(string pool) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.UnfinishedAsync(dataSource, pool, token));

    public async Task<JobPage> QueryAsync(JobQuery query, double timeScale) =>
        await _retry.ExecuteAsync(async token => await PostgresJobHistory.QueryAsync(dataSource, query, timeScale, token));
}
