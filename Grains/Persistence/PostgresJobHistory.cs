using Npgsql;
using NpgsqlTypes;

namespace SynergAI.Grains.Persistence;

/// <summary>One row of <c>synergai_job_history</c>.</summary>
public sealed record JobHistoryRow(
    string Job, string Pool, string Engine, int Queries, double QosSeconds, JobState State, string? Worker, string? Config,
    int Attempts, DateTimeOffset SubmittedAt, DateTimeOffset? DispatchedAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    bool? Violated, double? ExcessSeconds, string? Reason)
{
    /// <summary>The row a job's status is recorded as.</summary>
    public static JobHistoryRow Of(JobStatus s) => new(s.Id, s.Pool, s.Spec.Engine, s.Spec.Queries, s.Spec.QosSeconds, s.State, s.Worker,
        s.Config, s.Attempts, s.SubmittedAt, s.DispatchedAt, s.StartedAt, s.CompletedAt, s.Violated, s.ExcessSeconds, s.Reason);
}

/// <summary>The queryable job history (<c>synergai_job_history</c>, created by <see cref="PostgresSchema"/>).</summary>
public static class PostgresJobHistory
{
    const string Columns = "job, pool, engine, queries, qos_s, state, worker, config, attempts, submitted_at, dispatched_at, "
                         + "started_at, completed_at, violated, excess_s, reason";

    static readonly string UpsertSql = $"""
        INSERT INTO synergai_job_history AS h ({Columns}, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
        ON CONFLICT (job) DO UPDATE
        SET pool = excluded.pool, engine = excluded.engine, queries = excluded.queries, qos_s = excluded.qos_s,
            state = excluded.state, worker = excluded.worker, config = excluded.config, attempts = excluded.attempts,
            submitted_at = excluded.submitted_at, dispatched_at = excluded.dispatched_at, started_at = excluded.started_at,
            completed_at = excluded.completed_at, violated = excluded.violated, excess_s = excluded.excess_s,
            reason = excluded.reason, updated_at = now()
        WHERE (h.attempts, {JobProgress.Sql("h.state")}) <= (excluded.attempts, {JobProgress.Sql("excluded.state")})
        """;

    /// <summary>Inserts or replaces the row of <paramref name="status"/>'s job (one statement: all or nothing). A row
    /// is never moved backwards: an update older than the stored row (<see cref="JobProgress"/>) is ignored. Returns
    /// whether a row was written.</summary>
    public static async Task<bool> UpsertAsync(NpgsqlDataSource dataSource, JobStatus status, CancellationToken cancellationToken = default) =>
        await UpsertAsync(dataSource, [status], cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>Upserts the rows of several statuses as one batch: one round trip and one transaction (all or nothing),
    /// each row under the same rule as a single upsert, in order. Returns how many rows were written.</summary>
    public static async Task<int> UpsertAsync(NpgsqlDataSource dataSource, IReadOnlyList<JobStatus> statuses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Count == 0) return 0;
        await using var batch = dataSource.CreateBatch();
        foreach (var status in statuses)
        {
            ArgumentNullException.ThrowIfNull(status);
            var command = new NpgsqlBatchCommand(UpsertSql);
            var p = command.Parameters;
            p.Add(new NpgsqlParameter<string> { TypedValue = status.Id });
            p.Add(new NpgsqlParameter<string> { TypedValue = status.Pool });
            p.Add(new NpgsqlParameter<string> { TypedValue = status.Spec.Engine });
            p.Add(new NpgsqlParameter<int> { TypedValue = status.Spec.Queries });
            p.Add(new NpgsqlParameter<double> { TypedValue = status.Spec.QosSeconds });
            p.Add(new NpgsqlParameter<string> { TypedValue = status.State.ToString() });
            p.Add(Nullable(NpgsqlDbType.Text, status.Worker));
            p.Add(Nullable(NpgsqlDbType.Text, status.Config));
            p.Add(new NpgsqlParameter<int> { TypedValue = status.Attempts });
            p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = status.SubmittedAt.ToUniversalTime() });
            p.Add(Nullable(NpgsqlDbType.TimestampTz, status.DispatchedAt?.ToUniversalTime()));
            p.Add(Nullable(NpgsqlDbType.TimestampTz, status.StartedAt?.ToUniversalTime()));
            p.Add(Nullable(NpgsqlDbType.TimestampTz, status.CompletedAt?.ToUniversalTime()));
            p.Add(Nullable(NpgsqlDbType.Boolean, status.Violated));
            p.Add(Nullable(NpgsqlDbType.Double, status.ExcessSeconds));
            p.Add(Nullable(NpgsqlDbType.Text, status.Reason));
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var written = 0;
        foreach (var command in batch.BatchCommands) written += command.RecordsAffected;
        return written;
    }

    /// <summary>One job's row, or null.</summary>
    public static async Task<JobHistoryRow?> GetAsync(NpgsqlDataSource dataSource, string job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM synergai_job_history WHERE job = @job");
        command.Parameters.Add(new NpgsqlParameter<string>("job", job));
        var rows = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The jobs of a pool (all pools when null), oldest submission first, at most <paramref name="limit"/>.</summary>
    public static async Task<IReadOnlyList<JobHistoryRow>> ListAsync(NpgsqlDataSource dataSource, string? pool = null, int limit = 1000,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM synergai_job_history WHERE (@pool::text IS NULL OR pool = @pool) ORDER BY submitted_at, job LIMIT @limit");
        command.Parameters.Add(Nullable("pool", NpgsqlDbType.Text, pool));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pool's jobs recorded as Submitted, Queued, Dispatched or Running, oldest submission first.</summary>
    public static async Task<IReadOnlyList<JobHistoryRow>> UnfinishedAsync(NpgsqlDataSource dataSource, string pool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM synergai_job_history WHERE pool = @pool AND state IN ('Submitted', 'Queued', 'Dispatched', 'Running') ORDER BY submitted_at, job");
        command.Parameters.Add(new NpgsqlParameter<string>("pool", pool));
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A page of the pool's jobs matching <paramref name="query"/>, oldest submission first (keyset paging on
    /// submission time and id, which the table's order follows), as statuses in a pool of <paramref name="timeScale"/>.</summary>
    public static async Task<JobPage> QueryAsync(NpgsqlDataSource dataSource, JobQuery query, double timeScale,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(query);
        var after = query.ContinuationToken is { } t ? JobQuery.ParseToken(t) : null;
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM synergai_job_history
            WHERE pool = @pool
              AND (@states::text[] IS NULL OR state = ANY(@states))
              AND (@engine::text IS NULL OR engine = @engine)
              AND (@from::timestamptz IS NULL OR submitted_at >= @from)
              AND (@before::timestamptz IS NULL OR submitted_at < @before)
              AND (@after_at::timestamptz IS NULL OR (submitted_at, job) > (@after_at, @after_job))
            ORDER BY submitted_at, job
            LIMIT @limit
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("pool", query.Pool));
        p.Add(Nullable("states", NpgsqlDbType.Array | NpgsqlDbType.Text,
            query.States is { Count: > 0 } states ? states.Select(s => s.ToString()).ToArray() : null));
        p.Add(Nullable("engine", NpgsqlDbType.Text, query.Engine));
        p.Add(Nullable("from", NpgsqlDbType.TimestampTz, query.SubmittedFrom?.ToUniversalTime()));
        p.Add(Nullable("before", NpgsqlDbType.TimestampTz, query.SubmittedBefore?.ToUniversalTime()));
        p.Add(Nullable("after_at", NpgsqlDbType.TimestampTz, after?.SubmittedAt));
        p.Add(Nullable("after_job", NpgsqlDbType.Text, after?.Id));
        p.Add(new NpgsqlParameter<int>("limit", query.PageSize + 1));
        var rows = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        var page = rows.Take(query.PageSize).Select(r => new JobStatus(r.Job, r.Pool, new JobSpec(r.Engine, r.Queries, r.QosSeconds), r.State,
            r.Attempts, r.Worker, r.Config, r.SubmittedAt, r.DispatchedAt, r.StartedAt, r.CompletedAt, r.Violated, r.ExcessSeconds, r.Reason,
            timeScale)).ToList();
        return new JobPage(page, rows.Count > query.PageSize ? JobQuery.TokenAfter(page[^1]) : null);
    }

    static async Task<List<JobHistoryRow>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<JobHistoryRow>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new JobHistoryRow(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetDouble(4), Enum.Parse<JobState>(r.GetString(5)),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetInt32(8),
                r.GetFieldValue<DateTimeOffset>(9), Time(r, 10), Time(r, 11), Time(r, 12),
                r.IsDBNull(13) ? null : r.GetBoolean(13), r.IsDBNull(14) ? null : r.GetDouble(14), r.IsDBNull(15) ? null : r.GetString(15)));
        }
        return rows;
    }

    static DateTimeOffset? Time(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetFieldValue<DateTimeOffset>(ordinal);

    internal static NpgsqlParameter Nullable(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };

    static NpgsqlParameter Nullable(NpgsqlDbType type, object? value) => new() { NpgsqlDbType = type, Value = value ?? DBNull.Value };
}

/// <summary>The profiles table (<c>synergai_profile</c>): measured operating points per pool, worker, engine and config.</summary>
public static class PostgresProfiles
{
    /// <summary>Inserts or replaces a worker's profile points in one transaction (all or nothing). Returns the row count written.</summary>
    public static async Task<int> UpsertAsync(NpgsqlDataSource dataSource, string pool, string worker, IEnumerable<ProfilePoint> points,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(points);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var written = 0;
        foreach (var point in points)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO synergai_profile (pool, worker, engine, config, qps, preprocess_s, updated_at)
                VALUES (@pool, @worker, @engine, @config, @qps, @pre, now())
                ON CONFLICT (pool, worker, engine, config) DO UPDATE
                SET qps = excluded.qps, preprocess_s = excluded.preprocess_s, updated_at = now()
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string>("pool", pool));
            command.Parameters.Add(new NpgsqlParameter<string>("worker", worker));
            command.Parameters.Add(new NpgsqlParameter<string>("engine", point.Engine));
            command.Parameters.Add(new NpgsqlParameter<string>("config", point.Config));
            command.Parameters.Add(new NpgsqlParameter<double>("qps", point.Qps));
            command.Parameters.Add(new NpgsqlParameter<double>("pre", point.PreprocessSeconds));
            written += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>A worker's profile points in a pool, ordered by engine and config.</summary>
    public static async Task<IReadOnlyList<ProfilePoint>> ListAsync(NpgsqlDataSource dataSource, string pool, string worker,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(
            "SELECT engine, config, qps, preprocess_s FROM synergai_profile WHERE pool = @pool AND worker = @worker ORDER BY engine, config");
        command.Parameters.Add(new NpgsqlParameter<string>("pool", pool));
        command.Parameters.Add(new NpgsqlParameter<string>("worker", worker));
        var points = new List<ProfilePoint>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            points.Add(new ProfilePoint(r.GetString(0), r.GetString(1), r.GetDouble(2), r.GetDouble(3)));
        return points;
    }
}
