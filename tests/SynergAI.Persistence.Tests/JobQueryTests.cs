using Npgsql;
using SynergAI.Grains;
using SynergAI.Grains.Persistence;

namespace SynergAI.Persistence.Tests;

/// <summary>Job listings on PostgreSQL: filters and keyset paging over <c>synergai_job_history</c>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JobQueryTests(PersistenceFixture fixture)
{
    [Fact]
    public async Task The_history_lists_a_pools_jobs_by_state_engine_and_time_a_page_at_a_time_each_once()
    {
        var cs = await fixture.Server.CreateDatabaseAsync();
        await PostgresSchema.EnsureAsync(cs);
        await using var data = NpgsqlDataSource.Create(cs);
        var t0 = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        JobStatus Job(int i, string pool, string engine, JobState state) => new($"job-{pool}-{i:000}", pool, new JobSpec(engine, 10, 60),
            state, 1, "x86", "threads=16", t0.AddSeconds(i / 2), null, null, null, null, null, null, 1); // pairs share a time: the id breaks ties
        var jobs = Enumerable.Range(0, 45).Select(i => Job(i, "a", i % 3 == 0 ? "tf-mobilenet" : "tf-resnet50", i % 5 == 0 ? JobState.Queued : JobState.Completed))
            .Append(Job(0, "b", "tf-resnet50", JobState.Completed)).ToList();
        foreach (var job in jobs) await PostgresJobHistory.UpsertAsync(data, job);

        var expected = jobs.Where(j => j.Pool == "a" && j.Spec.Engine == "tf-resnet50" && j.State == JobState.Completed).Select(j => j.Id).ToList();
        var listed = new List<JobStatus>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await PostgresJobHistory.QueryAsync(data, new JobQuery("a", [JobState.Completed], "tf-resnet50", PageSize: 7,
                ContinuationToken: token), timeScale: 0.5);
            listed.AddRange(page.Jobs);
            token = page.ContinuationToken;
            pages++;
        } while (token is not null);
        Assert.Equal(expected, listed.Select(j => j.Id));
        Assert.Equal((expected.Count + 6) / 7, pages);
        Assert.All(listed, j => Assert.Equal(0.5, j.TimeScale));

        var window = await PostgresJobHistory.QueryAsync(data, new JobQuery("a", SubmittedFrom: t0.AddSeconds(10), SubmittedBefore: t0.AddSeconds(12)), 1);
        Assert.Equal(["job-a-020", "job-a-021", "job-a-022", "job-a-023"], window.Jobs.Select(j => j.Id));
        var queued = await PostgresJobHistory.QueryAsync(data, new JobQuery("a", [JobState.Queued], PageSize: 1000), 1);
        Assert.Equal(9, queued.Jobs.Count);
        Assert.Null(queued.ContinuationToken);
    }
}
