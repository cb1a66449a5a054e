using SynergAI.Grains;

namespace SynergAI.Grains.Tests;

/// <summary>Failures: an executor that cannot start, a run that fails, a worker that goes silent. Jobs are retried up
/// to MaxAttempts, never run twice at once, and end exactly once.</summary>
[Collection(FaultCollection.Name)]
public class FaultTests(FaultCluster fixture)
{
    IClusterClient Client => fixture.Client;
    static readonly string[] All = ["x86", "agx", "nx"];

    [Fact]
    public async Task An_executor_start_failure_is_retried_and_after_MaxAttempts_the_job_fails_with_a_reason()
    {
        const string pool = "f-start";
        var workers = await Client.RegisterPool(pool, pool, All);
        var job = $"{pool}-fail-start-1";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 10, 1e5), pool);
        var failed = await Client.WaitFinished(job);

        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal(3, failed.Attempts);
        Assert.Contains("failed 3 attempt(s), the maximum", failed.Reason);
        Assert.Contains("the executor could not start it", failed.Reason);
        Assert.True(failed.Violated);
        Assert.NotNull(failed.CompletedAt);
        Assert.Equal(new[] { 1, 2, 3 }, fixture.Executor.StartCallsOf(job));
        Assert.Empty(fixture.Executor.RunsOf(job));
        Assert.Equal(new[] { "Failed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));

        var status = await Client.WaitForPool(pool, p => p.Running == 0, "nothing running");
        Assert.DoesNotContain(status.Queue, q => q.Job == job);
        foreach (var worker in workers) Assert.Equal(WorkerCondition.Free, (await Client.Worker(worker).GetStatus()).Condition);
        // A failed job stays failed: no fourth attempt comes later (a periodic tick is 250 ms).
        await Task.Delay(300);
        Assert.Equal(failed, await Client.Job(job).GetStatus());
        Assert.Equal(3, fixture.Executor.StartCallsOf(job).Count);
    }

    [Fact]
    public async Task A_job_missing_from_its_shard_is_taken_back_from_the_job_history_by_the_sweep_and_completes()
    {
        // What a shard that lost an acknowledged arrival looks like (its silo died, or a message was lost): the job's
        // own record and its history row say Queued, the pool's queue does not have it.
        const string pool = "f-adopt";
        await Client.RegisterPool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        await Client.StartBlocker(blocker, pool);
        var job = $"{pool}-lost-arrival";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 10, 1e5), pool);
        Assert.Equal(JobState.Queued, fixture.History.Of(job)!.State);
        Assert.True(await (await Client.ShardOf(pool, job)).Remove(job)); // the queue forgets it; the job does not know
        Assert.DoesNotContain((await Client.Coordinator(pool).GetStatus()).Queue, q => q.Job == job);

        Assert.Equal(0, await Client.Dispatcher(pool).Recover()); // no attempt was lost; the arrival is taken back
        Assert.Contains((await Client.Coordinator(pool).GetStatus()).Queue, q => q.Job == job);

        await Client.Job(blocker).Cancel();
        var done = await Client.WaitFinished(job);
        Assert.Equal((JobState.Completed, 1), (done.State, done.Attempts));
        Assert.Equal(JobState.Completed, fixture.History.Of(job)!.State);
        Assert.Equal(new[] { "Completed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));
    }

    [Fact]
    public async Task A_submission_is_acknowledged_while_its_shard_cannot_answer_and_the_job_completes_once()
    {
        // A shard whose silo died does not answer until that silo is declared dead, seconds later. The job's stored record
        // is the truth, so the submission is acknowledged without the shard's answer; the lost arrival comes back through
        // the sweep. A shard that never answers would hold the submission for good, so Submit returning proves it.
        const string pool = "f-outage";
        await Client.RegisterPool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        await Client.StartBlocker(blocker, pool); // the pool has taken this engine on this silo
        var job = $"{pool}-arrival";
        fixture.ShardOutage.Begin(pool);
        try
        {
            var acknowledged = await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 10, 1e5), pool).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(JobState.Queued, acknowledged.State);
            Assert.Equal([job], fixture.ShardOutage.HeldFor(pool).Where(j => j == job)); // once, still unanswered
            Assert.Equal(JobState.Queued, fixture.History.Of(job)!.State);
        }
        finally
        {
            fixture.ShardOutage.End(pool);
        }
        Assert.DoesNotContain((await Client.Coordinator(pool).GetStatus()).Queue, q => q.Job == job);

        Assert.Equal(0, await Client.Dispatcher(pool).Recover());
        Assert.Contains((await Client.Coordinator(pool).GetStatus()).Queue, q => q.Job == job);
        await Client.Job(blocker).Cancel();
        var done = await Client.WaitFinished(job);
        Assert.Equal((JobState.Completed, 1), (done.State, done.Attempts));
        Assert.Equal(new[] { "Completed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));
    }

    [Fact]
    public async Task A_submission_of_an_engine_the_pool_has_not_taken_waits_for_its_shards_answer()
    {
        // Until a shard has said the pool runs the engine, the submission needs its answer: an unknown engine is refused.
        const string pool = "f-outage-new";
        await Client.RegisterPool(pool, pool, ["x86"]);
        fixture.ShardOutage.Begin(pool);
        var submit = Client.Job($"{pool}-first").Submit(new JobSpec(TestSupport.Engine, 10, 1e5), pool);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(submit.IsCompleted);
        }
        finally
        {
            fixture.ShardOutage.End(pool);
        }
        await Assert.ThrowsAnyAsync<Exception>(() => submit); // the arrival was lost: not acknowledged, nothing stored
        Assert.Null(fixture.History.Of($"{pool}-first"));
        Assert.Null(await Client.Job($"{pool}-first").GetStatus());
    }

    [Fact]
    public async Task A_round_that_fails_half_way_gives_its_jobs_back_and_each_runs_once_on_its_first_attempt()
    {
        // The shards offered their jobs; the dispatcher's estimate call fails (a worker's silo died): the offers go back
        // to their shards, and the next round (a tick, 250 ms) places them. Kept past the round, an offer would be queued
        // twice when offered again and the pool would stall.
        const string pool = "f-round";
        var workers = await Client.RegisterPool(pool, pool, All);
        fixture.EstimateFaults.Arm(pool, 2);
        var jobs = Enumerable.Range(1, 5).Select(i => $"{pool}-plain-{i}").ToArray();
        await Task.WhenAll(jobs.Select((job, i) => Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 41 + i, 1e5), pool)));

        foreach (var job in jobs)
        {
            var done = await Client.WaitFinished(job);
            Assert.Equal((JobState.Completed, 1), (done.State, done.Attempts));
            Assert.Equal(new[] { 1 }, fixture.Executor.StartCallsOf(job));
            Assert.Equal(new[] { "Completed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));
        }
        Assert.Equal(2, fixture.EstimateFaults.FailedFor(pool));
        var status = await Client.WaitForPool(pool, p => p.Running == 0, "nothing running");
        Assert.Empty(status.Queue);
        foreach (var worker in workers) Assert.Equal(WorkerCondition.Free, (await Client.Worker(worker).GetStatus()).Condition);
    }

    [Fact]
    public async Task A_failed_run_is_retried_and_completes_on_attempt_2()
    {
        const string pool = "f-once";
        await Client.RegisterPool(pool, pool, All);
        var job = $"{pool}-fail-once-1";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 10, 1e5), pool);
        var done = await Client.WaitFinished(job);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(2, done.Attempts);
        var runs = fixture.Executor.RunsOf(job);
        Assert.Equal(new (int, string?)[] { (1, "failed"), (2, "succeeded") }, runs.Select(r => (r.Attempt, r.How)));
        AssertNoOverlap(runs);
        Assert.Equal(new[] { "Completed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));
        Assert.Empty((await Client.WaitForPool(pool, p => p.Running == 0, "nothing running")).Queue);
    }

    [Fact]
    public async Task A_lost_heartbeat_requeues_the_job_which_completes_later_and_a_late_report_from_the_lost_attempt_changes_nothing()
    {
        const string pool = "f-lost";
        await Client.RegisterPool(pool, pool, All);
        var job = $"{pool}-silent-once-1";
        // ~32 model s on x86 (~0.3 s real), ~0.9 s real on agx: long enough to send a stale report while attempt 2 runs.
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 500, 1e5), pool);

        var second = await Client.WaitForJob(job, s => s.Attempts == 2 && s.State == JobState.Running, "attempt 2 to run", 10);
        var lost = fixture.Executor.RunsOf(job)[0];
        Assert.Equal((1, "cancelled"), (lost.Attempt, lost.How)); // the worker stopped the silent attempt before requeueing
        var lostWorker = lost.Worker;

        // The lost attempt's executor reports after all, while attempt 2 runs: ignored.
        await Client.WorkerRuntime(lostWorker).Report(new ExecutionReport(job, 1, true, null));
        var still = (await Client.Job(job).GetStatus())!;
        if (!still.IsFinished) // attempt 2 may just have finished on its own; then the report below covers it
        {
            Assert.Equal(JobState.Running, still.State);
            Assert.Equal(2, still.Attempts);
            Assert.Null(still.CompletedAt);
            Assert.Equal(second.Worker, still.Worker);
        }

        var done = await Client.WaitFinished(job);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(2, done.Attempts);
        await Client.WorkerRuntime(lostWorker).Report(new ExecutionReport(job, 1, false, "late failure"));
        await Client.WorkerRuntime(second.Worker!).Report(new ExecutionReport(job, 1, false, "late failure"));
        Assert.Equal(done, await Client.Job(job).GetStatus());

        var runs = fixture.Executor.RunsOf(job);
        Assert.Equal(new (int, string?)[] { (1, "cancelled"), (2, "succeeded") }, runs.Select(r => (r.Attempt, r.How)));
        AssertNoOverlap(runs);
        Assert.Equal(new[] { "Completed via OnAttemptEnded" }, await fixture.Ends.EndsOfAsync(job));
        var status = await Client.WaitForPool(pool, p => p.Running == 0, "nothing running");
        Assert.Empty(status.Queue);
        Assert.Equal(WorkerCondition.Free, (await Client.Worker(lostWorker).GetStatus()).Condition);
    }

    [Fact]
    public async Task Across_failures_no_two_attempts_of_a_job_ever_run_at_once_and_every_job_ends_exactly_once()
    {
        const string pool = "f-mix";
        var workers = await Client.RegisterPool(pool, pool, All);
        var kinds = new[] { "fail-start", "fail-once", "silent-once", "plain" };
        var jobs = kinds.SelectMany(k => Enumerable.Range(1, k == "plain" ? 4 : 2).Select(i => $"{pool}-{k}-{i}")).ToArray();
        await Task.WhenAll(jobs.Select((job, i) => Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 5 + i, 1e5), pool)));

        foreach (var job in jobs)
        {
            var s = await Client.WaitFinished(job, 20);
            var runs = fixture.Executor.RunsOf(job);
            var starts = fixture.Executor.StartCallsOf(job);
            AssertNoOverlap(runs);
            Assert.Single(await fixture.Ends.EndsOfAsync(job));
            Assert.Equal(starts[^1], s.Attempts); // the job's attempt number is the last one started
            Assert.Equal(starts, starts.Distinct()); // every attempt number was started once
            if (job.Contains("fail-start"))
            {
                Assert.Equal(JobState.Failed, s.State);
                Assert.Equal(3, s.Attempts);
                Assert.Empty(runs);
            }
            else
            {
                Assert.Equal(JobState.Completed, s.State);
                Assert.Equal("succeeded", runs[^1].How);
                Assert.Equal(1, runs.Count(r => r.How == "succeeded"));
                var expected = job.Contains("fail-once") ? new[] { "failed", "succeeded" }
                    : job.Contains("silent-once") ? ["cancelled", "succeeded"]
                    : ["succeeded"];
                Assert.Equal(expected, runs.Select(r => r.How));
            }
        }

        var status = await Client.WaitForPool(pool, p => p.Running == 0, "nothing running");
        Assert.Empty(status.Queue);
        foreach (var worker in workers) Assert.Equal(WorkerCondition.Free, (await Client.Worker(worker).GetStatus()).Condition);
    }

    /// <summary>Each attempt stopped (reported or was cancelled) before the next one of the same job started.</summary>
    static void AssertNoOverlap(IReadOnlyList<ScriptedExecutor.Run> runs)
    {
        Assert.All(runs, r => Assert.True(r.Stopped is not null, $"{r} never stopped"));
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i - 1].Stopped <= runs[i].Started, $"{runs[i - 1]} was still running when {runs[i]} started");
    }
}
