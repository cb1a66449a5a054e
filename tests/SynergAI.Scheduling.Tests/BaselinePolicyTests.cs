using SynergAI.Scheduling.Policies;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// The thesis's simple baselines (spec §4). Three workers a, b, c, each with a default configuration "d" and a faster
/// "fast" one that the baselines must not use.
/// Strength (mean default QPS over the engines a worker runs): a (10+10+10)/3 = 10 (e1, e2, rare), b (30+50)/2 = 40,
/// c (20+20)/2 = 20 → BE order b, c, a.
/// Engine "rare" runs on a only.
/// </summary>
public class BaselinePolicyTests
{
    const int A = 0, B = 1, C = 2;

    static readonly Testbed Bed = new(
        [W("a", "d"), W("b", "d"), W("c", "d")],
        [
            P("a", "e1", "d", 10), P("a", "e1", "fast", 40),
            P("b", "e1", "d", 30), P("b", "e1", "fast", 60),
            P("c", "e1", "d", 20), P("c", "e1", "fast", 50),
            P("a", "e2", "d", 10), P("b", "e2", "d", 50), P("c", "e2", "d", 20),
            P("a", "rare", "d", 10, 1), P("a", "rare", "fast", 100, 1),
        ]);

    static readonly ConfigurationDictionary Dictionary = new(Bed);

    /// <summary>q = 100 of e1: default estimates a 100/10 = 10 s, b 100/30 = 3.33 s, c 100/20 = 5 s.</summary>
    static QueuedJob Job(string id, string engine = "e1", double arrival = 0) =>
        QueuedJob.Create(J(id, arrival, engine, 100, 1000), Dictionary);

    static WorkerState[] Workers(params int[] busy)
    {
        var states = States(Dictionary);
        foreach (var b in busy) Busy(states[b]);
        return states;
    }

    static List<(string Job, int Worker)> Run(ISchedulingPolicy policy, WorkerState[] workers, params QueuedJob[] queue) =>
        [.. policy.Schedule(new SchedulingContext(0, workers, queue)).Select(p => (p.Job.Job.Id, p.Worker))];

    // ---------------------------------------------------------------- RR

    [Fact]
    public void RoundRobinTakesTheNextFreeWorkerInCircularOrderAcrossRounds()
    {
        var rr = new RoundRobinPolicy();
        Assert.Equal([("j1", A), ("j2", B)], Run(rr, Workers(), Job("j1"), Job("j2")));   // pointer → c
        Assert.Equal([("j3", C)], Run(rr, Workers(busy: [A, B]), Job("j3")));              // pointer → a (wraps)
        Assert.Equal([("j4", B)], Run(rr, Workers(busy: [A, C]), Job("j4")));              // a busy: skipped; pointer → c
        Assert.Equal([("j5", C)], Run(rr, Workers(), Job("j5")));                          // all free: still c, not a
        Assert.Equal([("j6", A), ("j7", B), ("j8", C)], Run(rr, Workers(), Job("j6"), Job("j7"), Job("j8")));
    }

    [Fact]
    public void RoundRobinAllBusyPlacesNothing()
    {
        var job = Job("j1");
        Assert.Empty(Run(new RoundRobinPolicy(), Workers(busy: [A, B, C]), job));
        Assert.Equal(WaitCode.AllWorkersBusy, job.WaitCode);
    }

    // ---------------------------------------------------------------- SRR

    [Fact]
    public void StrictRoundRobinBindsOnArrivalInCircularOrder()
    {
        var srr = new StrictRoundRobinPolicy();
        var workers = Workers();
        var jobs = new List<QueuedJob>();
        foreach (var id in new[] { "j1", "j2", "j3", "j4" })
        {
            var job = Job(id);
            jobs.Add(job);
            srr.OnArrival(job, new SchedulingContext(0, workers, jobs));
        }
        Assert.Equal([A, B, C, A], jobs.Select(j => j.BoundWorker));
    }

    [Fact]
    public void StrictRoundRobinSkipsWorkersThatCannotRunTheEngine()
    {
        // Pointer at b after j1 → "rare" runs only on a → bound to a; pointer → b.
        var srr = new StrictRoundRobinPolicy();
        var workers = Workers();
        var j1 = Job("j1");
        var rare = Job("rare", "rare");
        var j3 = Job("j3");
        srr.OnArrival(j1, new SchedulingContext(0, workers, [j1]));
        srr.OnArrival(rare, new SchedulingContext(0, workers, [j1, rare]));
        srr.OnArrival(j3, new SchedulingContext(0, workers, [j1, rare, j3]));
        Assert.Equal([A, A, B], new[] { j1, rare, j3 }.Select(j => j.BoundWorker));
    }

    [Fact]
    public void StrictRoundRobinJobWaitsForItsBoundWorkerEvenWhenOthersAreFree()
    {
        var srr = new StrictRoundRobinPolicy();
        var j1 = Job("j1"); j1.BoundWorker = A;
        var j2 = Job("j2"); j2.BoundWorker = B;
        var j3 = Job("j3"); j3.BoundWorker = A;
        // a busy, b and c free: j1 and j3 wait for a; c stays idle.
        Assert.Equal([("j2", B)], Run(srr, Workers(busy: A), j1, j2, j3));
        Assert.Equal("waits for its worker 'a'", j1.WaitReason);
        Assert.Equal(WaitCode.WaitsForBoundWorker, j1.WaitCode);
        Assert.Equal("waits for its worker 'a'", j3.WaitReason);
        // a free: j1 (earlier) runs, j3 keeps waiting for a, in the default configuration.
        var placements = srr.Schedule(new SchedulingContext(0, Workers(busy: B), [j1, j3]));
        var only = Assert.Single(placements);
        Assert.Same(j1, only.Job);
        Assert.Equal(("d", 10.0), (only.Config, only.EstimateSeconds));
    }

    // ---------------------------------------------------------------- LRU / MRU

    /// <summary>a last free at 10, b at 5, c never used.</summary>
    static WorkerState[] WithHistory()
    {
        var workers = Workers();
        workers[A].Start("old-a", 0, 10); workers[A].Finish(10);
        workers[B].Start("old-b", 0, 5); workers[B].Finish(5);
        return workers;
    }

    [Fact]
    public void LeastRecentlyUsedPicksNeverUsedThenIdleTheLongest()
    {
        // idle since: c −∞, b 5, a 10 → c, b, a.
        Assert.Equal([("j1", C), ("j2", B), ("j3", A)], Run(new LeastRecentlyUsedPolicy(), WithHistory(), Job("j1"), Job("j2"), Job("j3")));
    }

    [Fact]
    public void LeastRecentlyUsedAmongFreeWorkersOnly()
    {
        var workers = WithHistory();
        Busy(workers[C]);
        Assert.Equal([("j1", B)], Run(new LeastRecentlyUsedPolicy(), workers, Job("j1")));
    }

    [Fact]
    public void MostRecentlyUsedPicksTheMostRecentlyActive()
    {
        // last active: a 10, b 5, c never → a, b, c.
        Assert.Equal([("j1", A), ("j2", B), ("j3", C)], Run(new MostRecentlyUsedPolicy(), WithHistory(), Job("j1"), Job("j2"), Job("j3")));
    }

    [Fact]
    public void MostRecentlyUsedAmongFreeWorkersOnly()
    {
        var workers = WithHistory();
        Busy(workers[A]);
        Assert.Equal([("j1", B)], Run(new MostRecentlyUsedPolicy(), workers, Job("j1")));
    }

    // ---------------------------------------------------------------- BE

    [Fact]
    public void BestEffortPicksTheStrongestFreeWorker()
    {
        var be = new BestEffortPolicy();
        Assert.Equal([("j1", B), ("j2", C), ("j3", A)], Run(be, Workers(), Job("j1"), Job("j2"), Job("j3")));
        Assert.Equal([("j1", C)], Run(be, Workers(busy: B), Job("j1")));
        Assert.Equal([("j1", A)], Run(be, Workers(busy: [B, C]), Job("j1")));
    }

    [Fact]
    public void BestEffortStrengthUsesTheDefaultConfigurationNotTheFastest()
    {
        // By mean c* QPS a would be (40+10+100)/3 = 50, ahead of c's (50+20)/2 = 35; by default QPS a is
        // (10+10+10)/3 = 10 and c 20 → with b busy, BE picks c.
        var be = new BestEffortPolicy();
        Assert.Equal([("j1", C)], Run(be, Workers(busy: B), Job("j1")));
    }

    // ---------------------------------------------------------------- shared FIFO behaviour

    public static TheoryData<string> Fifo => ["rr", "lru", "mru", "be"];

    [Theory]
    [MemberData(nameof(Fifo))]
    public void FifoBaselinesUseTheDefaultConfiguration(string name)
    {
        var policy = PolicyCatalog.Create(name);
        var placement = Assert.Single(policy.Schedule(new SchedulingContext(0, Workers(busy: [B, C]), [Job("j1")])));
        // a's default "d": 0 + 100/10 = 10 s (its "fast" config would give 100/40 = 2.5 s).
        Assert.Equal((A, "d", 10.0), (placement.Worker, placement.Config, placement.EstimateSeconds));
    }

    [Theory]
    [MemberData(nameof(Fifo))]
    public void FifoBaselinesServeTheEarliestJobFirst(string name)
    {
        // One free worker; the queue (arrival order) is j1, j2: j1 gets it.
        var policy = PolicyCatalog.Create(name);
        Assert.Equal([("j1", C)], Run(policy, Workers(busy: [A, B]), Job("j1", arrival: 0), Job("j2", arrival: 1)));
    }

    [Theory]
    [MemberData(nameof(Fifo))]
    public void AJobNoFreeWorkerCanRunLetsTheNextOneGo(string name)
    {
        var policy = PolicyCatalog.Create(name);
        var rare = Job("rare", "rare");
        Assert.Equal([("j2", C)], Run(policy, Workers(busy: [A, B]), rare, Job("j2")));
        Assert.Equal(WaitCode.NoFreeWorkerForEngine, rare.WaitCode);
    }

    [Fact]
    public void StrictRoundRobinUsesTheDefaultConfiguration()
    {
        var j1 = Job("j1"); j1.BoundWorker = B;
        var placement = Assert.Single(new StrictRoundRobinPolicy().Schedule(new SchedulingContext(0, Workers(), [j1])));
        // b default: 100/30 = 3.33 s (fast: 100/60 = 1.67 s)
        Assert.Equal("d", placement.Config);
        Assert.Equal(100.0 / 30, placement.EstimateSeconds, 9);
    }

    [Fact]
    public void CatalogCreatesEveryPolicyByItsName()
    {
        foreach (var name in PolicyCatalog.Names)
            Assert.Equal(name, PolicyCatalog.Create(name).Name);
        Assert.IsType<BestEffortPolicy>(PolicyCatalog.Create("be"));
        var e = Assert.Throws<ArgumentException>(() => PolicyCatalog.Create("fifo"));
        Assert.Contains("fifo", e.Message);
    }
}
