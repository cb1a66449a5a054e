using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using SynergAI.Grains;

namespace SynergAI.Grains.Tests;

/// <summary>The queue coordinator: settings only while idle, workers that join later, state that survives
/// deactivation, and the queue view with urgency and wait reasons.</summary>
[Collection(ControlPlaneCollection.Name)]
public class CoordinatorTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;
    static readonly JobSpec Short = new(TestSupport.Engine, 5, 1e5);

    [Fact]
    public async Task A_silos_references_to_long_lived_grains_are_made_once_and_reach_the_grain()
    {
        var refs = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<GrainReferences>();
        const string pool = "refs-pool";
        await fixture.Pool(pool, pool, ["x86"]);
        var dispatcher = refs.Of<IPoolDispatchGrain>(pool);
        Assert.Same(dispatcher, refs.Of<IPoolDispatchGrain>(pool));
        Assert.NotSame(dispatcher, refs.Of<IPoolDispatchGrain>("other-pool"));
        Assert.IsAssignableFrom<IPoolShardGrain>(refs.Of<IPoolShardGrain>(pool)); // another interface, the same key: its own reference
        Assert.Equal((await Client.Coordinator(pool).GetStatus()).Settings, await dispatcher.GetSettings());
    }

    [Fact]
    public async Task A_pools_shards_are_dealt_round_the_silos()
    {
        // Activation-count placement could put every shard of a new pool on one silo, whose death then held up every
        // arrival of the pool; dealt round, each of the two silos holds half of them.
        const string pool = "co-spread";
        await fixture.Pool(pool, pool, ["x86"]);
        const int shards = 6;
        await Client.Coordinator(pool).Configure(new PoolSettings("synergai", 0.01, TimeSpan.FromMilliseconds(300), Shards: shards));
        var keys = Enumerable.Range(0, shards).Select(i => Grains.Coordination.ShardKey.Of(pool, i)).ToHashSet();
        foreach (var key in keys) await Client.GetGrain<IPoolShardGrain>(key).GetQueue();

        var statistics = await Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var hosts = statistics.Where(g => keys.Contains(g.GrainId.Key.ToString()!)).GroupBy(g => g.GrainId.Key.ToString())
            .ToDictionary(g => g.Key!, g => g.Single().SiloAddress);
        Assert.Equal(shards, hosts.Count);
        Assert.Equal([shards / 2, shards / 2], hosts.Values.GroupBy(s => s).Select(g => g.Count()));
        // Shard i and shard i + 1 are on different silos: the deal goes round.
        for (var i = 0; i + 1 < shards; i++)
            Assert.NotEqual(hosts[Grains.Coordination.ShardKey.Of(pool, i)], hosts[Grains.Coordination.ShardKey.Of(pool, i + 1)]);
    }

    [Fact]
    public async Task Configure_is_rejected_while_jobs_are_queued_or_running_and_accepted_when_idle()
    {
        const string pool = "co-config";
        await fixture.Pool(pool, pool, ["x86"]);
        var coordinator = Client.Coordinator(pool);
        var original = (await coordinator.GetStatus()).Settings;
        var wanted = new PoolSettings("rr", 0.02, TimeSpan.FromMilliseconds(300), Shards: 2);
        var blocker = $"{pool}-blocker";
        var queued = $"{pool}-queued";
        try
        {
            await Client.StartBlocker(blocker, pool);
            var running = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Configure(wanted));
            Assert.Contains($"pool '{pool}' has 0 queued and 1 running jobs", running.Message);

            await Client.Job(queued).Submit(Short, pool);
            var both = await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Configure(wanted));
            Assert.Contains("has 1 queued and 1 running jobs", both.Message);
            Assert.Equal(original, (await coordinator.GetStatus()).Settings);

            await Client.Job(queued).Cancel();
            await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.Configure(wanted)); // still running
            await Client.Job(blocker).Cancel();
            await Client.WaitForPool(pool, p => p.Running == 0 && p.Queue.Count == 0, "the pool to be idle");

            // Bad settings are refused even when idle.
            await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Configure(wanted with { Policy = "fastest" }));
            await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Configure(wanted with { TimeScale = double.NaN }));
            await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Configure(wanted with { TimeScale = 0 }));
            await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Configure(wanted with { ReevaluationInterval = TimeSpan.Zero }));
            await Assert.ThrowsAsync<ArgumentException>(() => coordinator.Configure(wanted with { Shards = -1 }));
            Assert.Equal(original, (await coordinator.GetStatus()).Settings);

            Assert.Equal(wanted, await coordinator.Configure(wanted));
            Assert.Equal(wanted, (await coordinator.GetStatus()).Settings);
            // The new settings apply: a job now runs under rr (default configuration) at the new time scale.
            var after = $"{pool}-after";
            await Client.Job(after).Submit(new JobSpec(TestSupport.SplitEngine, 20, 1e5), pool);
            var done = await Client.WaitFinished(after);
            Assert.Equal(JobState.Completed, done.State);
            Assert.Equal(0.02, done.TimeScale);
            Assert.Equal("threads=16", done.Config);
        }
        finally
        {
            await Client.CancelQuietly(queued, blocker);
        }
    }

    [Fact]
    public async Task A_worker_registering_later_is_used_for_jobs_already_queued()
    {
        const string pool = "co-late";
        var first = (await fixture.Pool(pool, pool, ["x86"]))[0];
        var blocker = $"{pool}-blocker";
        var jobs = Enumerable.Range(1, 3).Select(i => $"{pool}-job-{i}").ToArray();
        try
        {
            await Client.StartBlocker(blocker, pool);
            foreach (var job in jobs) await Client.Job(job).Submit(Short, pool);
            var waiting = await Client.WaitForPool(pool, p => p.Queue.Count == 3, "three queued jobs");
            Assert.Equal(jobs, waiting.Queue.Select(q => q.Job));

            var late = $"{pool}-agx";
            await Client.Worker(late).Register(TestSupport.SpecOf("agx", late), TestSupport.ProfileOf("agx"), pool);

            foreach (var job in jobs)
            {
                var done = await Client.WaitFinished(job);
                Assert.Equal(JobState.Completed, done.State);
                Assert.Equal(late, done.Worker);
                Assert.Equal(TestSupport.ReferenceDictionary.Optimal(TestSupport.Engine, "agx")!.Config, done.Config);
            }
            Assert.Equal(blocker, (await Client.Worker(first).GetStatus()).RunningJob);
            Assert.Equal(new[] { first, late }, (await Client.Coordinator(pool).GetStatus()).Workers);
        }
        finally
        {
            await Client.CancelQuietly([.. jobs, blocker]);
        }
    }

    [Fact]
    public async Task The_coordinators_queue_survives_deactivation_and_its_jobs_still_complete()
    {
        const string pool = "co-deactivate";
        var worker = (await fixture.Pool(pool, pool, ["x86"]))[0];
        var coordinator = Client.Coordinator(pool);
        var blocker = $"{pool}-blocker";
        var jobs = Enumerable.Range(1, 3).Select(i => $"{pool}-job-{i}").ToArray();
        try
        {
            await Client.StartBlocker(blocker, pool);
            foreach (var job in jobs) await Client.Job(job).Submit(Short, pool);
            var before = await Client.WaitForPool(pool, p => p.Queue.Count == 3, "three queued jobs");

            var id = ((GrainReference)coordinator).GrainId;
            Assert.True(fixture.Cluster.TryGetGrainContext(id, out var activation));
            await fixture.Cluster.DeactivateAsync(coordinator);
            // A new activation restored from storage answers from here on.
            var restored = await coordinator.GetStatus();
            Assert.True(fixture.Cluster.TryGetGrainContext(id, out var reactivated));
            Assert.NotSame(activation, reactivated);
            Assert.Equal(before.Queue.Select(q => q.Job), restored.Queue.Select(q => q.Job));
            // What runs is the workers' own record, which the new activation asks for in its first round.
            await Client.WaitForPool(pool, p => p.Running == 1, "the blocker's attempt restored");
            Assert.Equal(before.Workers, restored.Workers);
            Assert.Equal(before.Settings, restored.Settings);
            Assert.Contains(blocker, await coordinator.ListJobs());

            await Client.Job(blocker).Cancel(); // the worker tells the new activation it is free
            foreach (var job in jobs)
            {
                var done = await Client.WaitFinished(job);
                Assert.Equal(JobState.Completed, done.State);
                Assert.Equal(worker, done.Worker);
                Assert.Equal(1, done.Attempts);
            }
            var idle = await Client.WaitForPool(pool, p => p.Running == 0, "nothing running");
            Assert.Empty(idle.Queue);
        }
        finally
        {
            await Client.CancelQuietly([.. jobs, blocker]);
        }
    }

    [Fact]
    public async Task GetStatus_shows_queued_jobs_with_their_urgency_and_why_they_wait_re_evaluated_over_time()
    {
        const string pool = "co-view";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var relaxed = $"{pool}-relaxed";
        var hopeless = $"{pool}-hopeless";
        const int queries = 100;
        var tEst = TestSupport.OptimalSeconds(TestSupport.Engine, "x86", queries); // 1.4 + 100/16.5 ≈ 7.5 model s
        try
        {
            await Client.StartBlocker(blocker, pool);
            var submitted = DateTime.UtcNow;
            await Client.Job(relaxed).Submit(new JobSpec(TestSupport.Engine, queries, 10_000), pool);
            await Client.Job(hopeless).Submit(new JobSpec(TestSupport.Engine, queries, 2), pool);

            var status = await Client.WaitForPool(pool, p => p.Queue.Count == 2 && p.Queue.All(q => double.IsFinite(q.Urgency)), "both jobs evaluated");
            var elapsedModel = (DateTime.UtcNow - submitted).TotalSeconds / 0.01;
            Assert.Equal(new[] { relaxed, hopeless }, status.Queue.Select(q => q.Job)); // arrival order

            var r = status.Queue[0];
            Assert.Equal(TestSupport.Engine, r.Engine);
            Assert.Equal(0, r.Attempts);
            Assert.Equal(1, r.AcceptableWorkers);
            // urgency = T_qos − T_waiting − T_est on the fastest worker, in model seconds
            Assert.InRange(r.Urgency, 10_000 - tEst - elapsedModel - 1, 10_000 - tEst + 1e-6);
            Assert.Contains("busy", r.WaitReason);

            var h = status.Queue[1];
            Assert.True(h.Urgency < 2 - tEst + 1e-6, $"urgency {h.Urgency}");
            Assert.Equal(0, h.AcceptableWorkers);
            Assert.False(string.IsNullOrWhiteSpace(h.WaitReason));
            Assert.NotEqual("being estimated", h.WaitReason);

            // The periodic re-evaluation lowers the urgency as the jobs wait.
            var later = await Client.WaitForPool(pool, p => p.Queue.Count == 2 && p.Queue[0].Urgency < r.Urgency - 1, "the urgency to drop", 5);
            Assert.True(later.Queue[1].Urgency < h.Urgency);
        }
        finally
        {
            await Client.CancelQuietly(relaxed, hopeless, blocker);
        }
    }

    /// <summary>
    /// A worker that re-registers in another pool (allowed while it is free) stays on the old pool's books: the old
    /// coordinator still lists it and its engines, so it accepts jobs only that worker could run, and they wait forever
    /// (every Start answers Unregistered because the worker's pool changed). WorkerNodeGrain.Register never tells the
    /// old pool's coordinator that the worker left.
    /// </summary>
    [Fact]
    public async Task A_worker_moved_to_another_pool_leaves_its_old_pool()
    {
        const string oldPool = "co-move-old";
        const string newPool = "co-move-new";
        var worker = (await fixture.Pool(oldPool, oldPool, ["x86"]))[0];
        var moved = await Client.Worker(worker).Register(TestSupport.SpecOf("x86", worker), TestSupport.ProfileOf("x86"), newPool);
        Assert.Equal(newPool, moved.Pool);
        Assert.Contains(worker, (await Client.Coordinator(newPool).GetStatus()).Workers);
        var job = $"{oldPool}-job";
        try
        {
            // The old pool has no worker left, so it must reject the job as it would in a pool that never had one.
            var accepted = await Record.ExceptionAsync(() => Client.Job(job).Submit(Short, oldPool));
            if (accepted is null) await Task.Delay(600); // a few ticks: show that it never runs (evidence only)
            var old = await Client.Coordinator(oldPool).GetStatus();
            var status = accepted is null ? await Client.WaitForJob(job, _ => true, "its status") : null;
            Assert.True(accepted is PoolNotReadyException && !old.Workers.Contains(worker),
                $"old pool still lists [{string.Join(", ", old.Workers)}] with engines [{string.Join(", ", old.Engines)}]; " +
                $"submission {(accepted is null ? "accepted" : $"failed with {accepted.GetType().Name}")}; job: {status}; " +
                $"queue: [{string.Join(", ", old.Queue)}]");
        }
        finally
        {
            await Client.CancelQuietly(job);
            await Client.Quiet(oldPool);
            await Client.Quiet(newPool);
        }
    }
}
