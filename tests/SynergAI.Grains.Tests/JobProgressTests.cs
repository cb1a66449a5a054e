using SynergAI.Grains.Persistence;

namespace SynergAI.Grains.Tests;

/// <summary>The order of a job's statuses that the histories keep to: a late write of an earlier status changes nothing.</summary>
public class JobProgressTests
{
    static readonly JobStatus Queued = new("job-a", "pool", new JobSpec("tf-resnet50", 100, 60), JobState.Queued, 0, null, null,
        DateTimeOffset.UnixEpoch, null, null, null, null, null, null, 1.0);

    static JobStatus At(JobState state, int attempts) => Queued with { State = state, Attempts = attempts };

    [Fact]
    public void Statuses_follow_one_another_by_attempt_then_within_the_attempt()
    {
        JobStatus[] lifecycle =
        [
            At(JobState.Submitted, 0), At(JobState.Queued, 0), At(JobState.Dispatched, 1), At(JobState.Running, 1),
            At(JobState.Queued, 1), At(JobState.Dispatched, 2), At(JobState.Running, 2), At(JobState.Completed, 2),
        ];
        for (var i = 0; i < lifecycle.Length; i++)
            for (var j = 0; j < lifecycle.Length; j++)
                Assert.Equal(i >= j, JobProgress.IsNoOlder(lifecycle[i], lifecycle[j]));
        Assert.True(JobProgress.IsNoOlder(At(JobState.Cancelled, 1), At(JobState.Running, 1)));
        Assert.False(JobProgress.IsNoOlder(At(JobState.Running, 1), At(JobState.Failed, 1)));
    }

    [Fact]
    public async Task The_in_memory_history_keeps_a_finished_job_finished_when_an_earlier_status_arrives_late()
    {
        var history = new InMemoryJobHistory();
        await history.RecordAsync(At(JobState.Running, 1));
        await history.RecordAsync(At(JobState.Completed, 1));
        await history.RecordAsync(At(JobState.Running, 1)); // read before it completed, written after

        Assert.Empty(await history.UnfinishedAsync("pool"));
        var page = await history.QueryAsync(new JobQuery("pool"), 1.0);
        Assert.Equal(JobState.Completed, Assert.Single(page.Jobs).State);

        await history.RecordAsync(At(JobState.Dispatched, 2));
        await history.RecordAsync(At(JobState.Running, 2));
        await history.RecordAsync(At(JobState.Dispatched, 2)); // late, within the same attempt
        Assert.Equal(JobState.Running, Assert.Single(await history.UnfinishedAsync("pool")).State);
    }
}
