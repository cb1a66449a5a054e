using Microsoft.Extensions.DependencyInjection;
using SynergAI.Grains;
using SynergAI.Scheduling;

namespace SynergAI.Grains.Tests;

/// <summary>The pool's quote: the forecast for a job not submitted, from the live queue and workers; nothing stored.</summary>
[Collection(ControlPlaneCollection.Name)]
public class QuoteTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;

    [Fact]
    public async Task A_quote_predicts_the_start_after_the_running_job_and_changes_nothing_in_the_pool()
    {
        const string pool = "quote-pool";
        var workers = await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var queued = $"{pool}-queued";
        try
        {
            var running = await Client.StartBlocker(blocker, pool);
            await Client.Job(queued).Submit(new JobSpec(TestSupport.Engine, 100, 1e9), pool);
            await Client.WaitForPool(pool, p => p.Queue.Count == 1 && p.Queue[0].WaitCode == "AllWorkersBusy", "the queued job evaluated");
            var before = await Client.Coordinator(pool).GetStatus();
            var jobsBefore = await Client.Coordinator(pool).ListJobs();

            var spec = new JobSpec(TestSupport.Engine, 200, 1e8);
            var quote = await Client.Coordinator(pool).Quote(spec);

            // One worker: the candidate (urgency 1e8 − T_est) goes before the queued job (1e9 − T_est) when the blocker
            // ends, T_est(1,000,000 queries) after it started; it then runs T_est(200).
            var blockerEnds = TestSupport.OptimalSeconds(TestSupport.Engine, "x86", 1_000_000)
                - (quote.QuotedAt - running.StartedAt!.Value).TotalSeconds / 0.01;
            Assert.Equal(workers[0], quote.Worker);
            Assert.InRange(quote.StartsInSeconds!.Value, blockerEnds - 200, blockerEnds + 200); // model seconds; dispatch takes a few ms real
            Assert.Equal(TestSupport.OptimalSeconds(TestSupport.Engine, "x86", 200), quote.FinishesInSeconds!.Value - quote.StartsInSeconds.Value, 6);
            Assert.True(quote.MeetsDeadline);
            Assert.InRange(quote.TightestQosSeconds!.Value, quote.FinishesInSeconds.Value - 0.5, quote.FinishesInSeconds.Value + 0.5);
            Assert.Equal(1, quote.Queued);

            var after = await Client.Coordinator(pool).GetStatus();
            Assert.Equal(before.Queue.Select(q => q.Job), after.Queue.Select(q => q.Job));
            Assert.Equal(before.Running, after.Running);
            Assert.Equal(jobsBefore.Order(), (await Client.Coordinator(pool).ListJobs()).Order());
        }
        finally
        {
            await Client.CancelQuietly([blocker, queued]);
        }
    }

    [Fact]
    public async Task A_quote_follows_the_pools_round_robin_pointer()
    {
        // Round robin gave x86 the first job; with every worker free again, the next job goes to the next worker in
        // circular order. A forecast with a fresh policy would say x86.
        const string pool = "quote-rr";
        var workers = await fixture.Pool(pool, pool, ["x86", "agx", "nx"], policy: "rr");
        var first = await Client.Job($"{pool}-first").Submit(new JobSpec(TestSupport.SplitEngine, 100, 1e5), pool);
        Assert.Equal(workers[0], (await Client.WaitFinished(first.Id)).Worker);
        await Client.WaitForPool(pool, p => p.Running == 0, "the worker free again");

        var quote = await Client.Coordinator(pool).Quote(new JobSpec(TestSupport.SplitEngine, 100, 1e5));
        Assert.Equal(workers[1], quote.Worker);
        var second = await Client.Job($"{pool}-second").Submit(new JobSpec(TestSupport.SplitEngine, 100, 1e5), pool);
        Assert.Equal(quote.Worker, (await Client.WaitFinished(second.Id)).Worker);
    }

    [Fact]
    public async Task A_quote_for_an_engine_no_worker_runs_says_so_and_a_bad_spec_is_refused()
    {
        const string pool = "quote-engine";
        await fixture.Pool(pool, pool, ["x86"]);
        await Client.Quiet(pool);
        var quote = await Client.Coordinator(pool).Quote(new JobSpec("no-such-engine", 10, 10));
        Assert.Null(quote.Worker);
        Assert.Equal("NoWorkerForEngine", quote.Code);
        Assert.Null(quote.TightestQosSeconds);
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Coordinator(pool).Quote(new JobSpec(TestSupport.Engine, 0, 10)));
    }
}

/// <summary>Admission control at submission: a job the forecast says will miss is refused, and leaves no trace.</summary>
[Collection(ControlPlaneCollection.Name)]
public class AdmissionTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;

    [Fact]
    public async Task Under_reject_a_job_that_would_miss_is_refused_with_the_tightest_deadline_and_nothing_is_stored()
    {
        const string pool = "admission-pool";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var refused = $"{pool}-refused";
        var admitted = $"{pool}-admitted";
        try
        {
            await Client.StartBlocker(blocker, pool); // the only worker is busy for ~60,000 model seconds
            var error = await Assert.ThrowsAsync<AdmissionRefusedException>(() =>
                Client.Job(refused).Submit(new JobSpec(TestSupport.Engine, 100, 1_000, Admission: "reject"), pool));
            Assert.Contains("refused by admission control", error.Message);
            Assert.Equal(refused, error.JobId);
            Assert.StartsWith("refused by admission control", error.Reason);
            Assert.Contains("tightest deadline that would be met now is", error.Message);

            Assert.Null(await Client.Job(refused).GetStatus());
            Assert.DoesNotContain(refused, await Client.Coordinator(pool).ListJobs());
            foreach (var silo in fixture.Cluster.Silos)
                Assert.DoesNotContain(await silo.ServiceProvider.GetRequiredService<IJobHistory>().UnfinishedAsync(pool), r => r.Job == refused);

            var unknown = await Assert.ThrowsAsync<AdmissionRefusedException>(() =>
                Client.Job(refused).Submit(new JobSpec("no-such-engine", 100, 1e8, Admission: "reject"), pool));
            Assert.Contains($"refused by admission control: {WaitReasons.Words(WaitCode.NoWorkerForEngine)}; no deadline can be promised now", unknown.Message);

            // A deadline the forecast can meet is admitted as usual.
            var status = await Client.Job(admitted).Submit(new JobSpec(TestSupport.Engine, 100, 1e8, Admission: "reject"), pool);
            Assert.Equal(JobState.Queued, status.State);
        }
        finally
        {
            await Client.CancelQuietly([blocker, admitted]);
        }
    }

    [Fact]
    public async Task Under_reject_a_job_that_would_make_an_earlier_one_miss_is_refused_though_it_meets_its_own_deadline()
    {
        const string pool = "admission-promises";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var early = $"{pool}-early";
        var urgent = $"{pool}-urgent";
        var relaxed = $"{pool}-relaxed";
        try
        {
            await Client.StartBlocker(blocker, pool); // the only worker is busy until T
            var alone = await Client.Coordinator(pool).Quote(new JobSpec(TestSupport.Engine, 10_000, 1e8));
            var (finish, run) = (alone.FinishesInSeconds!.Value, alone.FinishesInSeconds!.Value - alone.StartsInSeconds!.Value); // T + r, r
            Assert.True(run > 100, $"a run of {run} model seconds leaves no margin for real time passing");

            // The early job is promised T + r with r/2 to spare; the urgent one would meet its own deadline by going first
            // (its slack is smaller), and the early one would then finish at T + 2r, past its deadline.
            await Client.Job(early).Submit(new JobSpec(TestSupport.Engine, 10_000, finish + run / 2, Admission: "reject"), pool);
            var quote = await Client.Coordinator(pool).Quote(new JobSpec(TestSupport.Engine, 10_000, finish + run / 4));
            Assert.True(quote.MeetsDeadline);
            Assert.Equal([early], quote.Displaces);
            var error = await Assert.ThrowsAsync<AdmissionRefusedException>(() =>
                Client.Job(urgent).Submit(new JobSpec(TestSupport.Engine, 10_000, finish + run / 4, Admission: "reject"), pool));
            Assert.Contains($"it would make 1 waiting job(s) admitted earlier miss their deadlines ({early})", error.Message);
            Assert.Null(await Client.Job(urgent).GetStatus());
            Assert.InRange(quote.TightestQosSeconds!.Value, finish + run / 2, finish + run * 1.5); // after the early job

            // Under best-effort the same job is admitted flagged, and goes after the early job.
            var flagged = await Client.Job(relaxed).Submit(new JobSpec(TestSupport.Engine, 10_000, finish + run / 4, Admission: "best-effort"), pool);
            Assert.True(flagged.BestEffort);
        }
        finally
        {
            await Client.CancelQuietly([blocker, early, urgent, relaxed]);
        }
    }

    [Fact]
    public async Task Under_best_effort_a_job_that_would_miss_is_admitted_flagged_and_never_goes_before_a_job_that_can_make_it()
    {
        const string pool = "admission-best-effort";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var late = $"{pool}-late";
        var onTime = $"{pool}-on-time";
        try
        {
            await Client.StartBlocker(blocker, pool); // the only worker is busy for ~60,000 model seconds
            var flagged = await Client.Job(late).Submit(new JobSpec(TestSupport.Engine, 100, 1_000, Admission: "best-effort"), pool);
            Assert.Equal((JobState.Queued, true), (flagged.State, flagged.BestEffort));
            var unflagged = await Client.Job(onTime).Submit(new JobSpec(TestSupport.Engine, 100, 1e8, Admission: "best-effort"), pool);
            Assert.False(unflagged.BestEffort); // its forecast meets its deadline
            var queue = (await Client.WaitForPool(pool, p => p.Queue.Count == 2, "both queued")).Queue;
            Assert.Equal([(late, true), (onTime, false)], queue.Select(q => (q.Job, q.BestEffort)).Order());

            // SynergAI alone would start the late job first (its deadline is far the tighter); flagged, it goes after.
            await Client.Job(blocker).Cancel();
            var first = await Client.WaitFinished(onTime);
            var second = await Client.WaitFinished(late);
            Assert.Equal((JobState.Completed, JobState.Completed), (first.State, second.State));
            Assert.True(first.StartedAt < second.StartedAt, $"{onTime} started {first.StartedAt:O}, {late} {second.StartedAt:O}");
            Assert.True(second.BestEffort);
        }
        finally
        {
            await Client.CancelQuietly([blocker, late, onTime]);
        }
    }

    [Fact]
    public async Task A_pool_setting_of_an_unknown_admission_mode_is_refused()
    {
        const string pool = "admission-settings";
        await fixture.Pool(pool, pool, ["x86"]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Client.Coordinator(pool).Configure(new PoolSettings("synergai", 0.01, TimeSpan.FromSeconds(1), Admission: "maybe")));
        Assert.Contains("accept, reject, best-effort", error.Message);
        await Client.Quiet(pool);
    }
}
