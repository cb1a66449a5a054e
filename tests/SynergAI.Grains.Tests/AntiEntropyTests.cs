using Microsoft.Extensions.Time.Testing;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Persistence;
using static SynergAI.Grains.Coordination.AntiEntropy;

namespace SynergAI.Grains.Tests;

/// <summary>The shards' anti-entropy sweep on plain data and a fake clock: what it suspects, and what it acts on only
/// once the job's own record confirms it.</summary>
public class AntiEntropyTests
{
    static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    JobHistoryRow Row(string job, JobState state, int attempts = 0, string? worker = null, DateTimeOffset? dispatchedAt = null,
        DateTimeOffset? startedAt = null) =>
        new(job, "pool", "tf-resnet50", 10, 100, state, worker, worker is null ? null : "threads=16", attempts,
            _clock.GetUtcNow() - TimeSpan.FromMinutes(1), dispatchedAt, startedAt, null, null, null, null);

    static readonly Dictionary<string, (string Job, int Attempt)?> NoRuns = [];

    [Fact]
    public void A_waiting_job_no_shard_holds_is_suspected_and_one_held_is_not()
    {
        var rows = new[] { Row("held", JobState.Queued), Row("lost", JobState.Queued), Row("new", JobState.Submitted) };
        var suspects = Find(rows, job => job == "held", NoRuns, _clock.GetUtcNow(), Grace);
        Assert.Equal(new[] { ("lost", Finding.NotHeld), ("new", Finding.NotHeld) }, suspects.Select(s => (s.Job, s.Finding)));
    }

    [Fact]
    public void An_attempt_on_a_worker_that_runs_something_else_is_suspected_only_after_the_grace()
    {
        var rows = new[] { Row("job-a", JobState.Running, attempts: 2, worker: "w1", dispatchedAt: _clock.GetUtcNow(), startedAt: _clock.GetUtcNow()) };
        var runs = new Dictionary<string, (string, int)?> { ["w1"] = ("job-b", 1) };
        Assert.Empty(Find(rows, _ => false, runs, _clock.GetUtcNow(), Grace)); // a start may be in flight, a moved worker resuming

        _clock.Advance(Grace + TimeSpan.FromSeconds(1));
        var suspect = Assert.Single(Find(rows, _ => false, runs, _clock.GetUtcNow(), Grace));
        Assert.Equal(new Suspect("job-a", Finding.NotRunning, 2, "w1"), suspect);
    }

    [Fact]
    public void An_attempt_its_worker_runs_is_left_alone_but_an_older_attempt_number_on_it_is_not()
    {
        var at = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(5));
        var rows = new[] { Row("job-a", JobState.Dispatched, attempts: 3, worker: "w1", dispatchedAt: at) };
        Assert.Empty(Find(rows, _ => false, new Dictionary<string, (string, int)?> { ["w1"] = ("job-a", 3) }, _clock.GetUtcNow(), Grace));
        Assert.Single(Find(rows, _ => false, new Dictionary<string, (string, int)?> { ["w1"] = ("job-a", 2) }, _clock.GetUtcNow(), Grace));
        Assert.Single(Find(rows, _ => false, new Dictionary<string, (string, int)?> { ["w1"] = null }, _clock.GetUtcNow(), Grace));
        // A worker whose status could not be read is no evidence.
        Assert.Empty(Find(rows, _ => false, NoRuns, _clock.GetUtcNow(), Grace));
    }

    [Fact]
    public void A_suspect_is_acted_on_only_when_the_jobs_own_status_confirms_it()
    {
        var spec = new JobSpec("tf-resnet50", 10, 100);
        JobStatus Status(JobState state, int attempts, string? worker) =>
            new("job-a", "pool", spec, state, attempts, worker, null, _clock.GetUtcNow(), null, null, null, null, null, null, 1);

        var notHeld = new Suspect("job-a", Finding.NotHeld, 0, null);
        Assert.True(Confirmed(notHeld, Status(JobState.Queued, 1, null)));
        Assert.False(Confirmed(notHeld, Status(JobState.Dispatched, 2, "w1"))); // the row lagged: it was dispatched meanwhile
        Assert.False(Confirmed(notHeld, Status(JobState.Cancelled, 1, null)));
        Assert.False(Confirmed(notHeld, null));

        var notRunning = new Suspect("job-a", Finding.NotRunning, 2, "w1");
        Assert.True(Confirmed(notRunning, Status(JobState.Running, 2, "w1")));
        Assert.False(Confirmed(notRunning, Status(JobState.Running, 3, "w2"))); // requeued and running again elsewhere
        Assert.False(Confirmed(notRunning, Status(JobState.Completed, 2, "w1")));
        Assert.False(Confirmed(notRunning, Status(JobState.Queued, 2, "w1")));
    }

    [Fact]
    public void A_row_left_behind_by_a_dead_silo_is_judged_by_the_jobs_own_record()
    {
        // The soak's case: the job's record says Dispatched (attempt 1, worker x86-3) but its row still says Queued,
        // because its silo died between the two writes; the worker never took the attempt.
        var spec = new JobSpec("tf-resnet50", 10, 100);
        var dispatchedAt = _clock.GetUtcNow();
        var record = new JobStatus("job-a", "pool", spec, JobState.Dispatched, 1, "x86-3", "threads=16", dispatchedAt - TimeSpan.FromSeconds(1),
            dispatchedAt, null, null, null, null, null, 1);
        var fromRow = new Suspect("job-a", Finding.NotHeld, 0, null);
        var idle = new Dictionary<string, (string, int)?> { ["x86-3"] = null };

        Assert.Null(Recheck(fromRow, record, idle, _clock.GetUtcNow(), Grace)); // a start may still be in flight
        _clock.Advance(Grace + TimeSpan.FromSeconds(1));
        Assert.Equal(new Suspect("job-a", Finding.NotRunning, 1, "x86-3"), Recheck(fromRow, record, idle, _clock.GetUtcNow(), Grace));
        // The worker does run it: nothing to do; nor when the job has finished or the worker could not be asked.
        Assert.Null(Recheck(fromRow, record, new Dictionary<string, (string, int)?> { ["x86-3"] = ("job-a", 1) }, _clock.GetUtcNow(), Grace));
        Assert.Null(Recheck(fromRow, record with { State = JobState.Completed }, idle, _clock.GetUtcNow(), Grace));
        Assert.Null(Recheck(fromRow, record, NoRuns, _clock.GetUtcNow(), Grace));
        // A confirmed finding stands as it is.
        Assert.Equal(fromRow, Recheck(fromRow, record with { State = JobState.Queued, Worker = null }, idle, _clock.GetUtcNow(), Grace));
    }
}
