using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Oracle.Tests;

/// <summary>Hand-computed optima. Every run time <c>T_pre + q/QPS</c> is a whole number of seconds.</summary>
public class ClairvoyantOracleTests
{
    /// <summary>One thread: a solve is then repeatable.</summary>
    internal static readonly OracleOptions OneThread = new(TimeLimitSeconds: 10, Threads: 1);

    internal static Worker W(string name, string defaultConfig = "c1") => new(name, "x86_64", 4, 8, defaultConfig);

    internal static ProfileEntry P(string worker, string engine, double qps, double pre = 0, string config = "c1") =>
        new(worker, engine, config, qps, pre);

    static Job J(string id, double arrival, int queries, double qos, string engine = "e") => new(id, arrival, engine, queries, qos);

    static Dictionary<string, JobOutcome> ById(OracleResult r) => r.Schedule.ToDictionary(o => o.Job.Id);

    static void AssertRan(JobOutcome o, string worker, double start, double end)
    {
        Assert.Equal(worker, o.Worker);
        Assert.Equal(start, o.StartedSeconds, 9);
        Assert.Equal(end, o.CompletedSeconds, 9);
    }

    [Fact]
    public void KeepsTheFastWorkerForTheTightJobsThatGreedyPlacementMisses()
    {
        // fast runs q/10 s, slow q/1 s.
        // long (t=0, q 1000, QoS 2000): fast 100 s, slow 1000 s — either meets its deadline.
        // j    (t=1, q 10,   QoS 8):    fast 1 s ✓, slow 10 s ✗ — only fast can make it.
        // k    (t=2, q 10,   QoS 8):    the same.
        // Optimum: j on fast 1–2 ✓, k on fast 2–3 ✓, long anywhere else (slow 0–1000, or fast from 3): no violation.
        // A work-conserving policy puts long on the free fast worker at t=0 and then j and k find only slow.
        var testbed = new Testbed([W("fast"), W("slow")], [P("fast", "e", 10), P("slow", "e", 1)]);
        Job[] trace = [J("long", 0, 1000, 2000), J("j", 1, 10, 8), J("k", 2, 10, 8)];

        var result = ClairvoyantOracle.Solve(testbed, trace, OneThread);

        Assert.Equal((OracleStatus.Optimal, 0, 0, 0.0), (result.Status, result.Violations, result.ViolationsLowerBound, result.ExcessSeconds));
        var o = ById(result);
        AssertRan(o["j"], "fast", 1, 2);
        AssertRan(o["k"], "fast", 2, 3);
        var greedy = Simulator.Run(new ConfigurationDictionary(testbed), trace, new SynergAiPolicy());
        Assert.Equal(2, greedy.Count(x => x.Violated));
    }

    [Fact]
    public void WhenAViolationIsUnavoidableTheLeastExcessWins()
    {
        // One worker, run time q/1 s. x (t=0, 10 s, QoS 10) and y (t=0, 10 s, QoS 15): one of them must be late.
        //   x then y: y ends 20, 5 s late.   y then x: x ends 20, 10 s late.   Optimum: 1 violation, 5 s excess.
        var testbed = new Testbed([W("only")], [P("only", "e", 1)]);
        var result = ClairvoyantOracle.Solve(testbed, [J("y", 0, 10, 15), J("x", 0, 10, 10)], OneThread);

        Assert.Equal((OracleStatus.Optimal, 1, 1), (result.Status, result.Violations, result.ViolationsLowerBound));
        Assert.Equal(5, result.ExcessSeconds, 9);
        var o = ById(result);
        AssertRan(o["x"], "only", 0, 10);
        AssertRan(o["y"], "only", 10, 20);
        Assert.True(o["y"].Violated);
    }

    [Fact]
    public void FewerViolationsComeBeforeLessExcess()
    {
        // One worker, run time q/1 s, all at t=0. big (100 s, QoS 100), a and b (1 s each, QoS 2).
        //   big first: a, b end at 101, 102 → 2 violations, excess 99 + 100 = 199.
        //   a, b first: big ends 102 → 1 violation, excess 2. Fewer violations and less excess: a, b, big.
        // Then c (t=0, 1 s, QoS 150) fits anywhere before 150: after big (102–103) costs nothing.
        var testbed = new Testbed([W("only")], [P("only", "e", 1)]);
        var result = ClairvoyantOracle.Solve(testbed, [J("big", 0, 100, 100), J("a", 0, 1, 2), J("b", 0, 1, 2), J("c", 0, 1, 150)], OneThread);

        Assert.Equal((OracleStatus.Optimal, 1), (result.Status, result.Violations));
        Assert.Equal(2, result.ExcessSeconds, 9);
        Assert.True(ById(result)["big"].Violated);
    }

    [Fact]
    public void RunsEachJobInTheConfigurationThatFinishesItSoonestNotTheHighestQps()
    {
        // q 1000 on "wide": batch=8 at 100 QPS with 20 s to load (30 s), batch=1 at 50 QPS with no load time (20 s).
        // c* (highest QPS) would take 30 s and miss a QoS of 25; the oracle may use any profiled configuration.
        var testbed = new Testbed([W("wide", "batch=1")],
            [P("wide", "e", 100, 20, "batch=8"), P("wide", "e", 50, 0, "batch=1")]);
        var result = ClairvoyantOracle.Solve(testbed, [J("job", 0, 1000, 25)], OneThread);

        var o = Assert.Single(result.Schedule);
        Assert.Equal(("batch=1", 0), (o.Config, result.Violations));
        AssertRan(o, "wide", 0, 20);
    }

    [Fact]
    public void NoJobStartsBeforeItArrivesAndWorkersWithoutTheEngineAreNotUsed()
    {
        // "gpu" runs only engine f. A job of e arriving at 5 waits for nothing but its own arrival: cpu 5–15.
        var testbed = new Testbed([W("gpu"), W("cpu")], [P("gpu", "f", 100), P("cpu", "e", 1)]);
        var result = ClairvoyantOracle.Solve(testbed, [J("late-arrival", 5, 10, 3)], OneThread);

        AssertRan(Assert.Single(result.Schedule), "cpu", 5, 15);
        Assert.Equal((1, 7.0), (result.Violations, result.ExcessSeconds));
    }

    [Fact]
    public void KnowsEachJobsNoiseFactorInAdvance()
    {
        // Nominal 10 s each on one worker; a runs 1.5× (15 s), b 0.5× (5 s). Both QoS 16 at t=0:
        // b then a ends at 5 and 20 (a 4 s late) — or a then b ends at 15 and 20 (b 4 s late). Either way 1 and 4 s.
        var testbed = new Testbed([W("only")], [P("only", "e", 1)]);
        var result = ClairvoyantOracle.Solve(testbed, [J("a", 0, 10, 16), J("b", 0, 10, 16)], OneThread,
            new Dictionary<string, double> { ["a"] = 1.5, ["b"] = 0.5 });

        var o = ById(result);
        Assert.Equal(15, o["a"].CompletedSeconds - o["a"].StartedSeconds, 9);
        Assert.Equal(5, o["b"].CompletedSeconds - o["b"].StartedSeconds, 9);
        Assert.Equal((1, 4.0), (result.Violations, Math.Round(result.ExcessSeconds, 9)));
    }

    [Fact]
    public void SubMillisecondRunTimesAreHeldForTheWholeMillisecondAndJudgedExactly()
    {
        // 1 query at 3 QPS: 0.3333… s, held as 334 ms. Two jobs at t=0 with QoS 0.334 on one worker: the first is
        // on time (ends 0.3333 ≤ 0.334), the second starts at 0.334 and is late.
        var testbed = new Testbed([W("only")], [P("only", "e", 3)]);
        var result = ClairvoyantOracle.Solve(testbed, [J("a", 0, 1, 0.334), J("b", 0, 1, 0.334)], OneThread);

        var second = result.Schedule.MaxBy(o => o.StartedSeconds)!;
        Assert.Equal(0.334, second.StartedSeconds, 9);
        Assert.Equal(1, result.Violations);
    }

    [Fact]
    public void BadInputIsAClearError()
    {
        var testbed = new Testbed([W("only")], [P("only", "e", 1)]);
        Assert.Contains("no worker has a profile for engine 'nope'",
            Assert.Throws<KeyNotFoundException>(() => ClairvoyantOracle.Solve(testbed, [J("a", 0, 1, 1, "nope")], OneThread)).Message);
        Assert.Contains("no jobs", Assert.Throws<ArgumentException>(() => ClairvoyantOracle.Solve(testbed, [], OneThread)).Message);
        Assert.Contains("time limit", Assert.Throws<ArgumentOutOfRangeException>(() =>
            ClairvoyantOracle.Solve(testbed, [J("a", 0, 1, 1)], new OracleOptions(0))).Message);
    }
}
