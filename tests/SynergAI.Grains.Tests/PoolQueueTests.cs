using SynergAI.Grains.Coordination;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains.Tests;

/// <summary>The coordinator's queue on plain data, without a cluster: estimates asked once per class, undo, and a
/// replica refreshed from a snapshot planning exactly like the pool.</summary>
public class PoolQueueTests
{
    static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;
    static double ModelSeconds(DateTimeOffset at) => (at - Epoch).TotalSeconds;

    /// <summary>x1, x2 share profile "x86" (10 s for any job); a1 has profile "agx" (30 s).</summary>
    static PoolQueue Pool(ISchedulingPolicy? policy = null)
    {
        var pool = new PoolQueue(policy ?? new SynergAiPolicy());
        pool.SetWorker("x1", ["e"], 2, "x86");
        pool.SetWorker("a1", ["e"], 1, "agx");
        pool.SetWorker("x2", ["e"], 2, "x86");
        return pool;
    }

    static WorkerEstimates Answer(string worker, int kinds) =>
        new(worker, ["c"], new int[kinds], [.. Enumerable.Repeat(worker.StartsWith('x') ? 10.0 : 30.0, kinds)], new int[kinds],
            [.. Enumerable.Repeat(worker.StartsWith('x') ? 10.0 : 30.0, kinds)]);

    static List<string> Estimate(PoolQueue pool, double now)
    {
        var asked = new List<string>();
        while (pool.PendingEstimates() is { } pending)
        {
            asked.AddRange(pending.Ask);
            pool.ApplyEstimates(pending.Jobs, pending.Kinds, [.. pending.Ask.Select(w => Answer(w, pending.Kinds.Count))], now, ModelSeconds);
        }
        return asked;
    }

    static void Submit(PoolQueue pool, params string[] ids)
    {
        foreach (var id in ids) pool.Enqueue(new PoolQueue.Entry(id, new JobSpec("e", 10, 100), Epoch, attempts: 0));
    }

    static List<(string Job, string Worker)> Plan(PoolQueue pool, double now) =>
        [.. pool.Plan(now).Select(p => (p.Attempt.Entry.Id, p.Attempt.Worker))];

    [Fact]
    public void EstimatesAreAskedOncePerClassAndBindTheLowestFreeWorkerOfTheFastestClass()
    {
        var pool = Pool();
        Submit(pool, "j1", "j2", "j3", "j4");
        Assert.Equal(4, pool.QueuedCount);
        Assert.Equal(["x1", "a1"], Estimate(pool, 0));
        Assert.Equal([("j1", "x1"), ("j2", "x2"), ("j3", "a1")], Plan(pool, 0));
        Assert.Equal(1, pool.QueuedCount);
        Assert.False(pool.HasFreeWorker);
    }

    [Fact]
    public void A_job_queued_twice_is_held_once_and_planned_once()
    {
        var pool = Pool();
        Submit(pool, "j1", "j2");
        Estimate(pool, 0);
        Assert.False(pool.Enqueue(new PoolQueue.Entry("j1", new JobSpec("e", 10, 100), Epoch, attempts: 0)));
        Submit(pool, "j2"); // also while its first copy waits for estimates
        Assert.Equal(2, pool.QueuedCount);
        Estimate(pool, 0);
        Assert.Equal([("j1", "x1"), ("j2", "x2")], Plan(pool, 0));
        Assert.Equal(0, pool.QueuedCount);
    }

    [Fact]
    public void UndoPutsTheJobBackWithoutUsingUpItsAttempt()
    {
        var pool = Pool();
        Submit(pool, "j1", "j2");
        Estimate(pool, 0);
        var planned = pool.Plan(0);
        Assert.Equal(2, planned.Count);
        Submit(pool, "j3");
        foreach (var (_, attempt) in planned.Reverse()) pool.Undo(attempt);

        Assert.Equal(["j1", "j2", "j3"], pool.Queue.Select(e => e.Id));
        Assert.All(pool.Queue, e => Assert.Equal(0, e.Attempts));
        Assert.NotNull(pool.Queue[0].Scheduled); // estimates kept: only j3 is asked about
        Assert.Equal(["j3"], pool.PendingEstimates()!.Value.Jobs.Select(e => e.Id));
        Assert.Empty(pool.Running);
        Assert.True(pool.HasFreeWorker);
        Estimate(pool, 0);
        Assert.Equal([("j1", "x1"), ("j2", "x2"), ("j3", "a1")], Plan(pool, 0));
        Assert.All(pool.Running, r => Assert.Equal(1, r.Attempt));
    }

    [Fact]
    public void AReplicaAppliedFromASnapshotPlansExactlyLikeThePool()
    {
        foreach (var policy in new[] { "synergai", "lru", "mru", "rr", "be" })
        {
            var pool = Pool(PolicyCatalog.Create(policy));
            Submit(pool, "j1", "j2", "j3");
            Estimate(pool, 0);
            Plan(pool, 0);
            pool.MarkFree("x2", null, 15);
            pool.MarkFree("a1", null, 31);

            var replica = new PoolQueue(PolicyCatalog.Create(policy));
            replica.SetWorker("x1", ["e"], 7, "stale"); // what it knew before: Apply replaces it
            replica.Apply(pool.Snapshot());
            Assert.Equal(pool.Snapshot().Select(Describe), replica.Snapshot().Select(Describe));

            Submit(pool, "j4", "j5");
            Submit(replica, "j4", "j5");
            Estimate(pool, 40);
            Estimate(replica, 40);
            Assert.Equal(Plan(pool, 40), Plan(replica, 40));
        }
    }

    static string Describe(Scheduling.Pool.WorkerSnapshot w) =>
        $"{w.Name} [{string.Join(",", w.Engines)}] {w.Strength} {w.ProfileKey} {w.RunningJob} {w.ExpectedFreeAt} {w.LastFreeAt}";
}
