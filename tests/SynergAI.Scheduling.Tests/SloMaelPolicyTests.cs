using SynergAI.Scheduling.Policies;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// SLO-MAEL as the project interprets it (spec §4). Two workers, a (0) and b (1); the hand-made estimates are the
/// default-configuration ones ("def"). Expected latency of a job = (now + running job's time left + estimates of the
/// jobs ahead of it + its own) − its arrival.
/// </summary>
public class SloMaelPolicyTests
{
    const int A = 0, B = 1;
    static readonly Worker[] Fleet = [W("a"), W("b")];

    static WorkerState[] Workers() => [.. Fleet.Select((w, i) => new WorkerState(i, w))];

    static QueuedJob Job(string id, double arrival, double qos, double onA, double onB, int bound = -1)
    {
        var job = Q(J(id, arrival, "e", 100, qos), 2, (A, onA), (B, onB));
        job.BoundWorker = bound;
        return job;
    }

    static void Arrive(SloMaelPolicy policy, double now, WorkerState[] workers, List<QueuedJob> queue, QueuedJob job)
    {
        queue.Add(job);
        policy.OnArrival(job, new SchedulingContext(now, workers, queue));
    }

    [Fact]
    public void TheRunningJobsTimeLeftCounts()
    {
        // now 10. a runs a job started at 0 with estimate 30 → 20 s left; b free.
        // N (arrives 10, T_qos 60): on a 20 + 10 = 30 s; on b 25 s → b, though N alone is faster on a.
        var workers = Workers();
        workers[A].Start("running", 0, 30);
        var n = Job("N", 10, 60, onA: 10, onB: 25);
        Arrive(new SloMaelPolicy(), 10, workers, [], n);
        Assert.Equal(B, n.BoundWorker);
        Assert.Contains("minimum average expected latency (25.0 s)", n.WaitReason);
    }

    [Fact]
    public void PicksTheMinimumAverageExpectedLatencyOverAllQueuedJobs()
    {
        // now 10. a: 20 s left (started 0, est 30). b: 5 s left (started 0, est 15).
        // X already queued on b: arrived 5, T_qos 100 (deadline 105), 40 s on b.
        // N arrives 10, T_qos 60 (deadline 70): 10 s on a, 16 s on b.
        //  N → a: N ends 10+20+10 = 40, latency 30 (≤ 60); X ends 10+5+40 = 55, latency 50 (≤ 100). mean (30+50)/2 = 40
        //  N → b: deadline order N (70) before X (105): N ends 10+5+16 = 31, latency 21; X ends 31+40 = 71,
        //         latency 66 (≤ 100). mean (21+66)/2 = 43.5
        // No miss either way → a (40 < 43.5), even though N alone would finish sooner on b (21 < 30).
        var workers = Workers();
        workers[A].Start("ra", 0, 30);
        workers[B].Start("rb", 0, 15);
        var x = Job("X", 5, 100, onA: 50, onB: 40, bound: B);
        var n = Job("N", 10, 60, onA: 10, onB: 16);
        Arrive(new SloMaelPolicy(), 10, workers, [x], n);
        Assert.Equal(A, n.BoundWorker);
        Assert.Contains("(40.0 s)", n.WaitReason);
        Assert.Equal(B, x.BoundWorker);
    }

    [Fact]
    public void AvoidsAMissEvenAtAHigherAverage()
    {
        // now 0, both free. Y queued on b: T_qos 42, 40 s on b.
        // N: T_qos 30, 29 s on a, 5 s on b.
        //  N → a: N 29 (≤ 30), Y 40 (≤ 42): no miss, mean 34.5
        //  N → b: N first (deadline 30 < 42): N 5, Y 45 > 42 → Y misses; mean 25
        // → a.
        var y = Job("Y", 0, 42, onA: 100, onB: 40, bound: B);
        var n = Job("N", 0, 30, onA: 29, onB: 5);
        Arrive(new SloMaelPolicy(), 0, Workers(), [y], n);
        Assert.Equal(A, n.BoundWorker);
        Assert.Contains("no deadline missed", n.WaitReason);
    }

    [Fact]
    public void WhenEveryChoiceMissesPicksTheFewestMisses()
    {
        // now 0, both free. Y queued on b: T_qos 50, 40 s on b.
        // N: T_qos 12, 40 s on a, 15 s on b.
        //  N → a: N 40 > 12 miss; Y 40 ≤ 50 → 1 miss, mean (40+40)/2 = 40
        //  N → b: N 15 > 12 miss; Y 15+40 = 55 > 50 miss → 2 misses, mean (15+55)/2 = 35
        // → a: fewer misses beats the lower mean.
        var y = Job("Y", 0, 50, onA: 100, onB: 40, bound: B);
        var n = Job("N", 0, 12, onA: 40, onB: 15);
        Arrive(new SloMaelPolicy(), 0, Workers(), [y], n);
        Assert.Equal(A, n.BoundWorker);
        Assert.Contains("fewest expected misses (1)", n.WaitReason);
    }

    [Fact]
    public void WhenMissesTieTheLowerMeanWins()
    {
        // N: T_qos 5, 20 s on a, 15 s on b, nothing else queued: one miss either way → b (15 < 20).
        var n = Job("N", 0, 5, onA: 20, onB: 15);
        Arrive(new SloMaelPolicy(), 0, Workers(), [], n);
        Assert.Equal(B, n.BoundWorker);
    }

    [Fact]
    public void AWorkerThatCannotRunTheEngineIsNeverChosen()
    {
        var workers = Workers();
        workers[A].Start("long", 0, 10_000);
        var n = Q(J("N", 0, "e", 100, 10), 2, (A, 5));   // only a can run it, though a is busy for ages
        Arrive(new SloMaelPolicy(), 0, workers, [], n);
        Assert.Equal(A, n.BoundWorker);
    }

    [Fact]
    public void ABoundJobNeverMovesEvenWhenAnotherWorkerIsFree()
    {
        // Bind N to a (a free, faster), then a becomes busy: later rounds leave N waiting while b is free.
        var policy = new SloMaelPolicy();
        var queue = new List<QueuedJob>();
        var n = Job("N", 0, 100, onA: 10, onB: 20);
        Arrive(policy, 0, Workers(), queue, n);
        Assert.Equal(A, n.BoundWorker);

        var workers = Workers();
        workers[A].Start("other", 0, 50);
        foreach (var now in new[] { 0.0, 10, 45 })
        {
            Assert.Empty(policy.Schedule(new SchedulingContext(now, workers, queue)));
            Assert.Equal(A, n.BoundWorker);
            Assert.Equal("in the deadline-ordered queue of busy worker 'a'", n.WaitReason);
        }
        workers[A].Finish(50);
        var placement = Assert.Single(policy.Schedule(new SchedulingContext(50, workers, queue)));
        Assert.Equal((A, "def", 10.0), (placement.Worker, placement.Config, placement.EstimateSeconds));
    }

    [Fact]
    public void EachWorkersQueueIsEarliestDeadlineFirst()
    {
        // Both bound to a. P1 arrived 0 with deadline 0+100 = 100; P2 arrived 5 with deadline 5+40 = 45 → P2 first.
        var p1 = Job("P1", 0, 100, onA: 10, onB: 10, bound: A);
        var p2 = Job("P2", 5, 40, onA: 10, onB: 10, bound: A);
        var workers = Workers();
        Busy(workers[B]);
        var placement = Assert.Single(new SloMaelPolicy().Schedule(new SchedulingContext(5, workers, [p1, p2])));
        Assert.Same(p2, placement.Job);
        Assert.Equal(A, placement.Worker);
    }

    [Fact]
    public void EveryFreeWorkerStartsTheHeadOfItsOwnQueue()
    {
        var a1 = Job("a1", 0, 100, 10, 10, bound: A);
        var b1 = Job("b1", 0, 100, 10, 10, bound: B);
        var b2 = Job("b2", 0, 50, 10, 10, bound: B);   // deadline 50 < 100 → ahead of b1
        var placements = new SloMaelPolicy().Schedule(new SchedulingContext(0, Workers(), [a1, b1, b2]));
        Assert.Equal([("a1", A), ("b2", B)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
    }

    [Fact]
    public void ANewJobIsInsertedByDeadlineWhenScoring()
    {
        // now 0, a busy for 1000 s. Queue on b: L (T_qos 100, 30 s). N (T_qos 20, 10 s on b; 10 s on a).
        //  N → a: N 1000+10 = 1010 > 20 miss; L 30 ok → 1 miss
        //  N → b: N ahead of L (20 < 100): N 10 ok; L 40 ok → 0 misses → b.
        // (Appending N behind L instead would make N end at 40 > 20, a miss.)
        var workers = Workers();
        Busy(workers[A], 0, 1000);
        var l = Job("L", 0, 100, onA: 30, onB: 30, bound: B);
        var n = Job("N", 0, 20, onA: 10, onB: 10);
        Arrive(new SloMaelPolicy(), 0, workers, [l], n);
        Assert.Equal(B, n.BoundWorker);
        Assert.Contains("no deadline missed", n.WaitReason);
    }
}
