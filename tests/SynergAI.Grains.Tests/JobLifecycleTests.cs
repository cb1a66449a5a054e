using SynergAI.Grains;

namespace SynergAI.Grains.Tests;

/// <summary>A job's way through the control plane: placement in c*, states and timestamps, QoS accounting in model
/// seconds, baselines in the default configuration, and cancellation at every stage.</summary>
[Collection(ControlPlaneCollection.Name)]
public class JobLifecycleTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;
    static readonly string[] All = ["x86", "agx", "nx"];

    [Fact]
    public async Task A_job_goes_queued_dispatched_running_completed_on_the_fastest_worker_in_its_optimal_configuration()
    {
        const string pool = "life-synergai";
        await fixture.Pool(pool, pool, All);
        const int queries = 2000; // ~24 model s on x86 in c*: ~240 ms real, long enough to see it running
        var spec = new JobSpec(TestSupport.SplitEngine, queries, 1e5);
        // With a generous deadline every worker is acceptable: SynergAI takes the one with the smallest T_est in its c*.
        var fastest = All.MinBy(w => TestSupport.OptimalSeconds(spec.Engine, w, queries))!;
        var cStar = TestSupport.ReferenceDictionary.Optimal(spec.Engine, fastest)!;
        var defaultConfig = TestSupport.Reference.Workers.Single(w => w.Name == fastest).DefaultConfig;
        Assert.NotEqual(defaultConfig, cStar.Config); // the engine was picked so that c* and the default differ

        var job = $"{pool}-job";
        var submitted = await Client.Job(job).Submit(spec, pool);
        Assert.Contains(submitted.State, new[] { JobState.Queued, JobState.Dispatched, JobState.Running });

        var seen = new List<JobState> { submitted.State };
        var final = await TestSupport.Until(async () =>
        {
            var s = (await Client.Job(job).GetStatus())!;
            if (seen[^1] != s.State) seen.Add(s.State);
            return s;
        }, s => s.IsFinished, "the job to finish");

        Assert.Equal(JobState.Completed, final.State);
        Assert.Contains(JobState.Running, seen);
        Assert.Equal(seen.OrderBy(s => (int)s), seen); // states only move forward
        Assert.Equal($"{pool}-{fastest}", final.Worker);
        Assert.Equal(cStar.Config, final.Config);
        Assert.Equal(1, final.Attempts);
        Assert.Equal(0.01, final.TimeScale);

        Assert.True(final.SubmittedAt <= final.DispatchedAt, $"{final.SubmittedAt:O} ≤ {final.DispatchedAt:O}");
        Assert.True(final.DispatchedAt <= final.StartedAt, $"{final.DispatchedAt:O} ≤ {final.StartedAt:O}");
        Assert.True(final.StartedAt < final.CompletedAt, $"{final.StartedAt:O} < {final.CompletedAt:O}");
        // The simulated executor ran it for its estimate in c*, scaled (a little slack for clock granularity).
        var ranReal = (final.CompletedAt!.Value - final.StartedAt!.Value).TotalSeconds;
        Assert.True(ranReal >= 0.9 * cStar.EstimateSeconds(queries) * 0.01, $"ran {ranReal} s real for an estimate of {cStar.EstimateSeconds(queries)} model s");
        Assert.False(final.Violated);
        Assert.Equal(0, final.ExcessSeconds);
    }

    [Fact]
    public async Task Violation_and_excess_are_computed_in_model_seconds()
    {
        const string pool = "life-violation";
        await fixture.Pool(pool, pool, All);
        const int queries = 100;
        const double qos = 1; // shorter than any worker's estimate (≥ 2.9 model s): a certain violation
        var fastest = All.Min(w => TestSupport.OptimalSeconds(TestSupport.SplitEngine, w, queries));
        Assert.True(fastest > qos + 1);
        var late = $"{pool}-late";
        var onTime = $"{pool}-on-time";
        await Client.Job(late).Submit(new JobSpec(TestSupport.SplitEngine, queries, qos), pool);
        await Client.Job(onTime).Submit(new JobSpec(TestSupport.SplitEngine, queries, 1e5), pool);

        var l = await Client.WaitFinished(late);
        var o = await Client.WaitFinished(onTime);
        Assert.Equal(JobState.Completed, l.State);
        Assert.True(l.Violated);
        var e2e = l.ModelSecondsSinceSubmission(l.CompletedAt)!.Value;
        Assert.Equal(e2e - qos, l.ExcessSeconds!.Value, 6);
        // In model seconds the job took at least its estimate, so it is late by at least estimate − qos. (In real
        // seconds it took a few tens of milliseconds and would not look late at all.)
        Assert.True(l.ExcessSeconds >= fastest - qos - 1e-6, $"excess {l.ExcessSeconds} model s, expected ≥ {fastest - qos}");

        Assert.Equal(JobState.Completed, o.State);
        Assert.False(o.Violated);
        Assert.Equal(0, o.ExcessSeconds);
    }

    [Fact]
    public async Task A_baseline_pool_runs_jobs_in_the_workers_default_configuration()
    {
        const string pool = "life-rr";
        await fixture.Pool(pool, pool, All, policy: "rr");
        var job = $"{pool}-job";
        await Client.Job(job).Submit(new JobSpec(TestSupport.SplitEngine, 100, 1e5), pool);
        var done = await Client.WaitFinished(job);

        Assert.Equal(JobState.Completed, done.State);
        // Round robin starts at the first worker (x86); it runs in threads=16, its default, not its c* (threads=8).
        Assert.Equal($"{pool}-x86", done.Worker);
        Assert.Equal("threads=16", done.Config);
        Assert.NotEqual(TestSupport.ReferenceDictionary.Optimal(TestSupport.SplitEngine, "x86")!.Config, done.Config);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_removes_it_from_the_queue_and_it_never_runs()
    {
        const string pool = "life-cancel-queued";
        var workers = await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var job = $"{pool}-job";
        try
        {
            await Client.StartBlocker(blocker, pool);
            await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 5, 1e5), pool);
            await Client.WaitForPool(pool, p => p.Queue.Any(q => q.Job == job), "the job to be queued");

            var cancelled = await Client.Job(job).Cancel();
            Assert.Equal(JobState.Cancelled, cancelled.State);
            Assert.NotNull(cancelled.CompletedAt);
            Assert.Contains("cancelled", cancelled.Reason);
            Assert.Null(cancelled.Violated);
            Assert.DoesNotContain((await Client.Coordinator(pool).GetStatus()).Queue, q => q.Job == job);

            // Free the worker: the cancelled job must not be dispatched to it.
            await Client.Job(blocker).Cancel();
            await Client.WaitForPool(pool, p => p.Running == 0 && p.Queue.Count == 0, "the pool to be idle");
            var canary = $"{pool}-canary"; // a job submitted afterwards runs, so the worker was usable
            await Client.Job(canary).Submit(new JobSpec(TestSupport.Engine, 5, 1e5), pool);
            Assert.Equal(JobState.Completed, (await Client.WaitFinished(canary)).State);

            var later = await Client.Job(job).GetStatus();
            Assert.Equal(cancelled, later);
            Assert.Equal(0, later!.Attempts);
            Assert.Null(later.Worker);
            Assert.Equal(WorkerCondition.Free, (await Client.Worker(workers[0]).GetStatus()).Condition);
        }
        finally
        {
            await Client.CancelQuietly(job, blocker);
        }
    }

    [Fact]
    public async Task Cancelling_a_running_job_frees_its_worker_and_nothing_completes_it_later()
    {
        const string pool = "life-cancel-running";
        var workers = await fixture.Pool(pool, pool, ["x86"]);
        var job = $"{pool}-job";
        const int queries = 5000; // ~300 model s: ~3 s real, so it is surely still running when cancelled
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, queries, 1e5), pool);
        var running = await Client.WaitForJob(job, s => s.State == JobState.Running, "to run");

        var cancelled = await Client.Job(job).Cancel();
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(running.Attempts, cancelled.Attempts);
        Assert.Equal(running.Worker, cancelled.Worker);
        // Cancel returns once the worker has stopped the attempt and told the pool.
        var worker = await Client.Worker(workers[0]).GetStatus();
        Assert.Equal(WorkerCondition.Free, worker.Condition);
        Assert.Null(worker.RunningJob);
        var pool1 = await Client.Coordinator(pool).GetStatus();
        Assert.Equal(0, pool1.Running);
        Assert.Empty(pool1.Queue);

        // The worker takes new work at once, and when that is done the cancelled job is still exactly as it was.
        var next = $"{pool}-next";
        await Client.Job(next).Submit(new JobSpec(TestSupport.Engine, 5, 1e5), pool);
        var nextDone = await Client.WaitFinished(next);
        Assert.Equal(JobState.Completed, nextDone.State);
        Assert.Equal(workers[0], nextDone.Worker);
        Assert.Equal(cancelled, await Client.Job(job).GetStatus());
    }

    [Fact]
    public async Task Cancelling_a_finished_job_leaves_it_as_it_was()
    {
        const string pool = "life-cancel-finished";
        await fixture.Pool(pool, pool, ["x86"]);
        var job = $"{pool}-job";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 5, 1e5), pool);
        var done = await Client.WaitFinished(job);
        Assert.Equal(JobState.Completed, done.State);

        Assert.Equal(done, await Client.Job(job).Cancel());
        Assert.Equal(done, await Client.Job(job).GetStatus());
        Assert.Empty((await Client.Coordinator(pool).GetStatus()).Queue);
    }

    [Fact]
    public async Task Cancelling_an_unknown_job_is_rejected_and_does_not_create_it()
    {
        var error = await Assert.ThrowsAsync<UnknownJobException>(() => Client.Job("life-never-submitted").Cancel());
        Assert.Contains("unknown job 'life-never-submitted'", error.Message);
        Assert.Equal("life-never-submitted", error.JobId);
        Assert.Null(await Client.Job("life-never-submitted").GetStatus());
    }
}
