using SynergAI.Scheduling.Policies;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// SynergAI's online phase (spec §3) on hand-made estimates. Three workers: 0 "fast", 1 "mid", 2 "slow".
/// T_remaining = T_qos − (now − arrival); acceptable ⇔ T_est ≤ T_remaining; urgency = T_remaining − T_est(fastest).
/// </summary>
public class SynergAiPolicyTests
{
    static readonly Worker[] Fleet = [W("fast"), W("mid"), W("slow")];
    const int Fast = 0, Mid = 1, Slow = 2;

    static WorkerState[] Workers(params int[] busy)
    {
        var states = Fleet.Select((w, i) => new WorkerState(i, w)).ToArray();
        foreach (var b in busy) Busy(states[b]);
        return states;
    }

    static QueuedJob Job(string id, double arrival, double qos, params (int Worker, double Seconds)[] estimates) =>
        Q(J(id, arrival, "e", 100, qos), Fleet.Length, estimates);

    static IReadOnlyList<Placement> Schedule(double now, WorkerState[] workers, params QueuedJob[] queue) =>
        new SynergAiPolicy().Schedule(new SchedulingContext(now, workers, queue));

    [Fact]
    public void A_GoesToTheSecondFastestAcceptableWorkerWhenTheFastestIsBusy()
    {
        // T_remaining = 100; T_est fast 40 ✓, mid 80 ✓, slow 150 ✗ → W_ok = [fast, mid]; fast busy → mid.
        var job = Job("j", 0, 100, (Fast, 40), (Mid, 80), (Slow, 150));
        var placement = Assert.Single(Schedule(0, Workers(busy: Fast), job));
        Assert.Same(job, placement.Job);
        Assert.Equal(Mid, placement.Worker);
        Assert.Equal("opt", placement.Config);
        Assert.Equal(80, placement.EstimateSeconds);
        Assert.Contains("acceptable worker 2 of 2", placement.Reason);
        Assert.Equal(2, job.AcceptableWorkers);
        Assert.Equal(60, job.Urgency);            // 100 − 40
    }

    [Fact]
    public void A_GoesToTheFastestWhenItIsFree()
    {
        var job = Job("j", 0, 100, (Fast, 40), (Mid, 80), (Slow, 150));
        var placement = Assert.Single(Schedule(0, Workers(), job));
        Assert.Equal(Fast, placement.Worker);
        Assert.Contains("fastest worker meeting the deadline", placement.Reason);
    }

    [Fact]
    public void B_WaitsForItsOnlyAcceptableWorkerEvenThoughASlowerOneIsFree()
    {
        // T_remaining = 100; fast 40 ✓, mid 150 ✗, slow 300 ✗ → W_ok = [fast], busy → wait (mid and slow stay idle).
        var job = Job("j", 0, 100, (Fast, 40), (Mid, 150), (Slow, 300));
        Assert.Empty(Schedule(0, Workers(busy: Fast), job));
        Assert.Equal(1, job.AcceptableWorkers);
        Assert.Equal(WaitCode.HeldForFasterWorker, job.WaitCode);

    }

    [Fact]
    public void C_AnInfeasibleJobNeverOvertakesAFeasibleOne()
    {
        // now 5. "late": arrived 0, T_qos 10 → T_remaining 5 < 40 → no acceptable worker.
        // "ok": arrived 5, T_qos 100 → T_remaining 100 ≥ 40 → feasible. One free worker (fast): "ok" gets it.
        var late = Job("late", 0, 10, (Fast, 40), (Mid, 60));
        var ok = Job("ok", 5, 100, (Fast, 40), (Mid, 60));
        var placement = Assert.Single(Schedule(5, Workers(busy: [Mid, Slow]), late, ok));
        Assert.Same(ok, placement.Job);
        Assert.Equal(Fast, placement.Worker);
        Assert.Equal(0, late.AcceptableWorkers);
        Assert.Equal(-35, late.Urgency);          // 5 − 40
        Assert.Equal(WaitCode.AllWorkersBusy, late.WaitCode);
    }

    [Fact]
    public void D_AnInfeasibleJobTakesTheFreeWorkerWithTheSmallestEstimateNoFeasibleJobWants()
    {
        // fast busy. "ok" (T_rem 100) can only make it on fast (40 ✓, mid 150 ✗, slow 200 ✗) → waits for fast.
        // "late" (T_rem 10) fits nowhere; of the free workers mid (60) and slow (90) it takes mid, the smaller T_est.
        var ok = Job("ok", 0, 100, (Fast, 40), (Mid, 150), (Slow, 200));
        var late = Job("late", 0, 10, (Fast, 40), (Mid, 60), (Slow, 90));
        var placement = Assert.Single(Schedule(0, Workers(busy: Fast), ok, late));
        Assert.Same(late, placement.Job);
        Assert.Equal(Mid, placement.Worker);
        Assert.Equal(60, placement.EstimateSeconds);
        Assert.Contains("no worker can meet the deadline", placement.Reason);
        Assert.Equal(WaitCode.HeldForFasterWorker, ok.WaitCode);
    }

    [Fact]
    public void D_AnInfeasibleJobLeavesTheWorkerAFeasibleJobWantsAndTakesTheNextFreeOne()
    {
        // fast busy. "ok" (T_rem 100): fast 40 ✓, mid 60 ✓ → takes mid. "late" then takes slow (90), the only free one.
        var late = Job("late", 0, 10, (Fast, 40), (Mid, 60), (Slow, 90));
        var ok = Job("ok", 0, 100, (Fast, 40), (Mid, 60), (Slow, 200));
        var placements = Schedule(0, Workers(busy: Fast), late, ok);
        Assert.Equal([("ok", Mid), ("late", Slow)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
    }

    [Fact]
    public void D_AnInfeasibleJobWaitsWhenNoFreeWorkerCanRunItsEngine()
    {
        var late = Job("late", 0, 10, (Fast, 40));   // only fast can run it
        Assert.Empty(Schedule(0, Workers(busy: Fast), late));
        Assert.Equal(WaitCode.DeadlineUnreachable, late.WaitCode);
    }

    [Fact]
    public void E_TheMoreUrgentJobGoesFirstEvenIfItArrivedLater()
    {
        // now 10, only fast free, both T_est 50 on fast.
        // early: arrived 0, T_qos 200 → T_rem 190 → urgency 190 − 50 = 140
        // later: arrived 10, T_qos 80 → T_rem 80  → urgency 80 − 50 = 30 (more urgent)
        var early = Job("early", 0, 200, (Fast, 50));
        var later = Job("later", 10, 80, (Fast, 50));
        var placement = Assert.Single(Schedule(10, Workers(busy: [Mid, Slow]), early, later));
        Assert.Same(later, placement.Job);
        Assert.Equal(140, early.Urgency);
        Assert.Equal(30, later.Urgency);
        Assert.Equal(WaitCode.AllWorkersBusy, early.WaitCode);
    }

    [Fact]
    public void E_UrgencyUsesTheFastestWorkerEvenWhenItIsBusy()
    {
        // a: T_rem 100, fast 40 → urgency 60 (its free option mid 90 is tighter, but urgency is taken on the fastest).
        // b: T_rem 100, fast 45 → urgency 55 → b first; both want mid (the only free acceptable worker) → b gets it.
        var a = Job("a", 0, 100, (Fast, 40), (Mid, 90));
        var b = Job("b", 0, 100, (Fast, 45), (Mid, 95));
        var placement = Assert.Single(Schedule(0, Workers(busy: [Fast, Slow]), a, b));
        Assert.Same(b, placement.Job);
        Assert.Equal(Mid, placement.Worker);
    }

    [Fact]
    public void E_EqualUrgencyKeepsArrivalOrder()
    {
        var first = Job("first", 0, 100, (Fast, 50));
        var second = Job("second", 0, 100, (Fast, 50));
        Assert.Same(first, Assert.Single(Schedule(0, Workers(busy: [Mid, Slow]), first, second)).Job);
    }

    [Fact]
    public void F_AsTimePassesTheSlowWorkerStopsBeingAcceptable()
    {
        // T_qos 100, fast 40, slow 90, fast busy.
        // now 0:  T_rem 100 ≥ 90 → slow acceptable → placed on slow.
        // now 20: T_rem 80 < 90 → only fast acceptable, busy → waits (slow stays idle).
        var atZero = Job("j", 0, 100, (Fast, 40), (Slow, 90));
        var placement = Assert.Single(Schedule(0, Workers(busy: [Fast, Mid]), atZero));
        Assert.Equal(Slow, placement.Worker);

        var later = Job("j", 0, 100, (Fast, 40), (Slow, 90));
        Assert.Empty(Schedule(20, Workers(busy: [Fast, Mid]), later));
        Assert.Equal(1, later.AcceptableWorkers);
        Assert.Equal(40, later.Urgency);          // 80 − 40
    }

    [Fact]
    public void F_AJobThatCanNoLongerMakeItMovesBehindTheFeasibleOnes()
    {
        // One free worker (fast), both T_est 50.
        // now 0:  x T_rem 60 → urgency 10; y T_rem 100 → urgency 50 → x first.
        // now 20: x T_rem 40 < 50 → infeasible, to the end; y T_rem 80 → urgency 30 → y first.
        var x = Job("x", 0, 60, (Fast, 50));
        var y = Job("y", 0, 100, (Fast, 50));
        var workers = Workers(busy: [Mid, Slow]);
        Assert.Same(x, Assert.Single(Schedule(0, workers, x, y)).Job);
        Assert.Same(y, Assert.Single(Schedule(20, workers, x, y)).Job);
        Assert.Equal(0, x.AcceptableWorkers);
        Assert.Equal(-10, x.Urgency);
    }

    [Fact]
    public void F_TheBoundaryIsInclusive()
    {
        // now 10: T_rem = 100 − 10 = 90 = T_est(slow) → still acceptable (T_remaining ≥ T_est).
        var job = Job("j", 0, 100, (Fast, 40), (Slow, 90));
        Assert.Equal(Slow, Assert.Single(Schedule(10, Workers(busy: [Fast, Mid]), job)).Worker);
    }

    [Fact]
    public void G_PlacementUsesTheWorkersOptimalConfigurationNotTheDefault()
    {
        // x86: default t16 (10 QPS, T_pre 2) but t8 is faster (20 QPS, T_pre 1) → c* = t8.
        // q = 100: T_est(t8) = 1 + 100/20 = 6 s (default would be 2 + 100/10 = 12 s).
        var testbed = new Testbed([W("x86", "t16")],
            [P("x86", "e", "t16", 10, 2), P("x86", "e", "t8", 20, 1)]);
        var dictionary = new ConfigurationDictionary(testbed);
        var job = QueuedJob.Create(J("j", 0, "e", 100, 30), dictionary);
        Assert.Equal(new Estimate(0, "t8", 6), Assert.Single(job.FastestFirst));
        Assert.Equal(new Estimate(0, "t16", 12), job.Defaults[0]);

        var placement = Assert.Single(new SynergAiPolicy().Schedule(new SchedulingContext(0, States(dictionary), [job])));
        Assert.Equal("t8", placement.Config);
        Assert.Equal(6, placement.EstimateSeconds);
    }

    [Fact]
    public void AllBusyMeansNoPlacementAndAReason()
    {
        var job = Job("j", 0, 100, (Fast, 40));
        Assert.Empty(Schedule(0, Workers(busy: [Fast, Mid, Slow]), job));
        Assert.Equal(WaitCode.AllWorkersBusy, job.WaitCode);
    }

    [Fact]
    public void EmptyQueueGivesNoPlacements() => Assert.Empty(Schedule(0, Workers()));

    /// <summary>Invariants on random rounds: only free workers, each at most once; each job at most once; every
    /// feasible job goes to the fastest free acceptable worker left; a waiting feasible job has no free acceptable
    /// worker left; no free worker able to run a waiting job is left idle when that job is infeasible.</summary>
    [Fact]
    public void RandomRoundsKeepTheInvariants()
    {
        var random = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var workerCount = random.Next(1, 6);
            var fleet = Enumerable.Range(0, workerCount).Select(i => W($"w{i}")).ToArray();
            var workers = fleet.Select((w, i) => new WorkerState(i, w)).ToArray();
            foreach (var w in workers) if (random.NextDouble() < 0.5) Busy(w);
            var now = random.Next(0, 50);
            var queue = Enumerable.Range(0, random.Next(0, 7)).Select(j =>
            {
                var estimates = Enumerable.Range(0, workerCount).Where(_ => random.NextDouble() < 0.7)
                    .Select(w => (w, (double)random.Next(5, 80))).ToList();
                if (estimates.Count == 0) estimates.Add((0, 10));
                return Q(J($"j{j}", random.Next(0, now + 1), "e", 10, random.Next(5, 120)), workerCount, [.. estimates]);
            }).ToArray();

            var placements = new SynergAiPolicy().Schedule(new SchedulingContext(now, workers, queue));

            Assert.All(placements, p => Assert.True(workers[p.Worker].IsFree));
            Assert.Equal(placements.Count, placements.Select(p => p.Worker).Distinct().Count());
            Assert.Equal(placements.Count, placements.Select(p => p.Job).Distinct().Count());
            var idle = workers.Where(w => w.IsFree).Select(w => w.Index).Except(placements.Select(p => p.Worker)).ToHashSet();
            foreach (var job in queue.Except(placements.Select(p => p.Job)))
            {
                var remaining = job.Job.QosSeconds - (now - job.Job.ArrivalSeconds);
                var acceptable = job.FastestFirst.Where(e => e.Seconds <= remaining).Select(e => e.Class);
                var runnable = job.FastestFirst.Select(e => e.Class);
                Assert.DoesNotContain(acceptable, idle.Contains);
                if (job.AcceptableWorkers == 0) Assert.DoesNotContain(runnable, idle.Contains);
            }
            foreach (var p in placements)
            {
                var remaining = p.Job.Job.QosSeconds - (now - p.Job.Job.ArrivalSeconds);
                Assert.Equal(p.Job.FastestFirst.Count(e => e.Seconds <= remaining), p.Job.AcceptableWorkers);
                if (p.Job.AcceptableWorkers > 0) Assert.True(p.EstimateSeconds <= remaining);
            }
        }
    }
}
