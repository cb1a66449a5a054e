using Npgsql;
using SynergAI.Grains;
using SynergAI.Grains.Persistence;

namespace SynergAI.Persistence.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PersistenceFixture fixture)
{
    [Fact]
    public async Task Ensure_on_a_fresh_database_applies_every_migration_and_a_second_call_applies_nothing()
    {
        var cs = await fixture.Server.CreateDatabaseAsync();

        var first = await PostgresSchema.EnsureAsync(cs);
        var second = await PostgresSchema.EnsureAsync(cs);

        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), first.Select(m => m.Version));
        Assert.Empty(second);
        await using var data = NpgsqlDataSource.Create(cs);
        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), await PostgresSchema.AppliedVersionsAsync(data));
    }

    [Fact]
    public async Task Four_concurrent_ensures_on_a_fresh_database_all_succeed_and_apply_each_migration_once()
    {
        var cs = await fixture.Server.CreateDatabaseAsync();

        using var start = new ManualResetEventSlim();
        var runs = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await PostgresSchema.EnsureAsync(cs);
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(runs);

        var applied = results.SelectMany(r => r).GroupBy(m => m.Version).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), applied.Keys.Order());
        Assert.All(applied.Values, count => Assert.Equal(1, count));
        await using var data = NpgsqlDataSource.Create(cs);
        await using var command = data.CreateCommand("SELECT count(*) FROM synergai_schema_version");
        Assert.Equal((long)PostgresSchema.Migrations.Count, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Every_query_key_the_providers_require_is_in_orleansquery()
    {
        Assert.Empty(await PostgresSchema.MissingOrleansQueryKeysAsync(fixture.DataSource));
        // The exact statement Orleans runs at start-up (unquoted, mixed case) must resolve.
        await using var command = fixture.DataSource.CreateCommand("SELECT QueryKey, QueryText FROM OrleansQuery");
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync()) keys.Add(reader.GetString(reader.GetOrdinal("QueryKey")));
        Assert.Superset(PostgresSchema.OrleansQueryKeys.ToHashSet(), keys.ToHashSet());
    }

    [Fact]
    public async Task Every_time_column_is_timestamptz_and_every_identifier_is_lower_case()
    {
        await using var command = fixture.DataSource.CreateCommand("""
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND (table_name LIKE 'orleans%' OR table_name LIKE 'synergai%')
            """);
        var columns = new List<(string Table, string Column, string Type)>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));

        Assert.Contains(columns, c => c.Table == "orleansquery");
        Assert.All(columns, c => Assert.Equal(c.Table + "." + c.Column, (c.Table + "." + c.Column).ToLowerInvariant()));
        var times = columns.Where(c => c.Type.StartsWith("timestamp", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(times);
        Assert.All(times, c => Assert.Equal("timestamp with time zone", c.Type));
    }

    [Fact]
    public async Task An_unreachable_server_gives_a_message_with_host_and_port_but_not_the_password()
    {
        var port = fixture.Server.Port == 1 ? 2 : 1; // nothing listens on port 1
        var cs = $"Host=127.0.0.1;Port={port};Database=x;Username=alice;Password=s3cret-pw;Timeout=2";

        var error = await Assert.ThrowsAsync<PostgresSchemaException>(() => PostgresSchema.EnsureAsync(cs));

        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("alice", error.Message);
        Assert.DoesNotContain("s3cret-pw", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=notaport;Password=s3cret-pw")]
    [InlineData("Port=5432;Password=s3cret-pw")]
    public async Task A_bad_connection_string_gives_a_clear_message_without_the_password(string cs)
    {
        var error = await Assert.ThrowsAsync<PostgresSchemaException>(() => PostgresSchema.EnsureAsync(cs));

        Assert.Contains("connection string", error.Message);
        Assert.DoesNotContain("s3cret-pw", error.Message);
    }

    [Fact]
    public async Task A_missing_database_gives_a_message_naming_server_and_database()
    {
        // (The throwaway server trusts every user, so a wrong password cannot be shown; a missing database goes the same way.)
        var cs = new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString) { Database = "no_such_db", Password = "s3cret-pw" }.ConnectionString;

        var error = await Assert.ThrowsAsync<PostgresSchemaException>(() => PostgresSchema.EnsureAsync(cs));

        Assert.Contains($"127.0.0.1:{fixture.Server.Port}", error.Message);
        Assert.Contains("no_such_db", error.Message);
        Assert.DoesNotContain("s3cret-pw", error.Message);
    }

    [Fact]
    public async Task Job_history_round_trips_and_never_moves_back_to_an_older_attempt()
    {
        var t0 = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var queued = new JobStatus("job-hist-1", "pool-a", new JobSpec("resnet", 40, 12.5), JobState.Queued, 1, null, null,
            t0, null, null, null, null, null, null, 1.0);
        var done = queued with { State = JobState.Completed, Attempts = 2, Worker = "node-1", Config = "c4", DispatchedAt = t0.AddSeconds(1),
            StartedAt = t0.AddSeconds(2), CompletedAt = t0.AddSeconds(9), Violated = false, ExcessSeconds = 0, Reason = "ok" };

        Assert.True(await PostgresJobHistory.UpsertAsync(fixture.DataSource, queued));
        Assert.True(await PostgresJobHistory.UpsertAsync(fixture.DataSource, done));
        Assert.False(await PostgresJobHistory.UpsertAsync(fixture.DataSource, queued)); // attempt 1 < stored 2: ignored

        var row = await PostgresJobHistory.GetAsync(fixture.DataSource, "job-hist-1");
        Assert.NotNull(row);
        Assert.Equal(JobState.Completed, row.State);
        Assert.Equal(("node-1", "c4", 2), (row.Worker, row.Config, row.Attempts));
        Assert.Equal(t0.AddSeconds(9), row.CompletedAt);
        Assert.Contains(await PostgresJobHistory.ListAsync(fixture.DataSource, "pool-a"), r => r.Job == "job-hist-1");

        // Within one attempt too: a Running status read before the job completed (the sweep writes such late ones)
        // does not take back the Completed row; the same status again is written (idempotent).
        var running = done with { State = JobState.Running, CompletedAt = null, Violated = null, ExcessSeconds = null };
        Assert.False(await PostgresJobHistory.UpsertAsync(fixture.DataSource, running));
        Assert.Equal(JobState.Completed, (await PostgresJobHistory.GetAsync(fixture.DataSource, "job-hist-1"))!.State);
        Assert.True(await PostgresJobHistory.UpsertAsync(fixture.DataSource, done));
    }

    [Fact]
    public async Task A_batch_of_history_rows_is_written_in_order_under_the_same_rule_and_all_or_nothing()
    {
        var t0 = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        JobStatus Status(string job, JobState state, int attempts) => new(job, "pool-b", new JobSpec("resnet", 40, 12.5), state, attempts,
            null, null, t0, null, null, null, null, null, null, 1.0);

        // The same job several times in one batch: the latest status stays, older ones (by attempt, then within it) are ignored.
        var written = await PostgresJobHistory.UpsertAsync(fixture.DataSource,
            [Status("job-batch-1", JobState.Queued, 1), Status("job-batch-2", JobState.Queued, 1), Status("job-batch-1", JobState.Running, 2),
             Status("job-batch-1", JobState.Queued, 1), Status("job-batch-1", JobState.Dispatched, 2)]);
        Assert.Equal(3, written);
        Assert.Equal((JobState.Running, 2), await StateOf("job-batch-1"));
        Assert.Equal((JobState.Queued, 1), await StateOf("job-batch-2"));

        // A row PostgreSQL refuses (a NUL byte in the job id) fails the whole batch: no row of it is kept.
        await Assert.ThrowsAnyAsync<Exception>(() => PostgresJobHistory.UpsertAsync(fixture.DataSource,
            [Status("job-batch-3", JobState.Queued, 1), Status("job-batch-\0bad", JobState.Queued, 1)]));
        Assert.Null(await PostgresJobHistory.GetAsync(fixture.DataSource, "job-batch-3"));

        async Task<(JobState, int)> StateOf(string job) => await PostgresJobHistory.GetAsync(fixture.DataSource, job) is { } row
            ? (row.State, row.Attempts) : throw new InvalidOperationException($"no row for {job}");
    }

    [Fact]
    public async Task Profiles_import_is_all_or_nothing()
    {
        ProfilePoint[] good = [new("resnet", "c1", 10, 0.5), new("resnet", "c2", 20, 0.7)];
        Assert.Equal(2, await PostgresProfiles.UpsertAsync(fixture.DataSource, "pool-p", "node-9", good));

        ProfilePoint[] bad = [new("bert", "c1", 5, 0.1), new("bert", "c2", -1, 0.1)]; // qps must be > 0
        await Assert.ThrowsAsync<PostgresException>(() => PostgresProfiles.UpsertAsync(fixture.DataSource, "pool-p", "node-9", bad));

        var stored = await PostgresProfiles.ListAsync(fixture.DataSource, "pool-p", "node-9");
        Assert.Equal(good, stored); // no bert row from the failed import
    }
}
