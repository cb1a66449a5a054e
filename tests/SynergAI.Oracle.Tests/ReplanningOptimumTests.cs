using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Oracle.Tests.ClairvoyantOracleTests;

namespace SynergAI.Oracle.Tests;

/// <summary>The re-planning optimum: exact over what it knows, so what it misses is what it could not know.</summary>
public class ReplanningOptimumTests
{
    [Fact]
    public void Without_a_forecast_it_gives_the_fast_worker_to_the_job_it_knows_and_a_lookahead_keeps_it_for_the_tight_ones()
    {
        // fast runs q/10 s, slow q/1 s.
        // long (t=0, q 1000, QoS 150): fast 100 s ✓, slow 1000 s ✗ — only fast.
        // j    (t=1, q 10,   QoS 8):   fast 1 s ✓,   slow 10 s ✗  — only fast; k (t=2) the same.
        // Knowing only long at t=0, the best plan starts it on fast at once; j and k then find fast busy until 100 and
        // each is least late on slow (ends 11 and 21). Knowing the next 2 s, it runs j 1–2, k 2–3 and long 3–103 on fast.
        var testbed = new Testbed([W("fast"), W("slow")], [P("fast", "e", 10), P("slow", "e", 1)]);
        Job[] trace = [new("long", 0, "e", 1000, 150), new("j", 1, "e", 10, 8), new("k", 2, "e", 10, 8)];
        var dictionary = new ConfigurationDictionary(testbed);

        var blind = Simulator.Run(dictionary, trace, new ReplanningOptimum(testbed, OneThread)).ToDictionary(o => o.Job.Id);
        Assert.Equal(["j", "k"], blind.Values.Where(o => o.Violated).Select(o => o.Job.Id).Order());
        Assert.Equal(("fast", 0.0), (blind["long"].Worker, blind["long"].StartedSeconds));
        Assert.Equal(("slow", 11.0, "slow", 21.0), (blind["j"].Worker, blind["j"].CompletedSeconds, blind["k"].Worker, blind["k"].CompletedSeconds));

        var policy = new ReplanningOptimum(testbed, OneThread, lookaheadSeconds: 2, trace);
        var ahead = Simulator.Run(dictionary, trace, policy).ToDictionary(o => o.Job.Id);
        Assert.Equal("replan+2s", policy.Name);
        Assert.DoesNotContain(ahead.Values, o => o.Violated);
        Assert.Equal((1.0, 2.0, 3.0), (ahead["j"].StartedSeconds, ahead["k"].StartedSeconds, ahead["long"].StartedSeconds));
        Assert.All(ahead.Values, o => Assert.Equal("fast", o.Worker));
        Assert.Equal(0, ClairvoyantOracle.Solve(testbed, trace, OneThread).Violations);
    }

    [Fact]
    public void A_waiting_job_says_when_and_where_the_plan_starts_it()
    {
        // One worker busy with a (0–10); b and c (5 s each, deadlines 101 and 16) wait: only c first meets both (c 10–15, b 15–20).
        var testbed = new Testbed([W("only")], [P("only", "e", 1)]);
        var worker = new WorkerState(0, testbed.Workers[0]);
        worker.Start("a", 0, 10);
        var b = QueuedJob.Create(new Job("b", 1, "e", 5, 100), new ConfigurationDictionary(testbed));
        var c = QueuedJob.Create(new Job("c", 2, "e", 5, 14), new ConfigurationDictionary(testbed));
        var free = new WorkerState(1, W("idle-without-engine"));
        var placements = new ReplanningOptimum(new Testbed([testbed.Workers[0], free.Worker], testbed.Profile), OneThread)
            .Schedule(new SchedulingContext(3, [worker, free], [b, c]));

        Assert.Empty(placements);
        Assert.Equal("the optimum of the 2 jobs known starts it on only at 15.0 s", b.WaitReason);
        Assert.Equal("the optimum of the 2 jobs known starts it on only at 10.0 s", c.WaitReason);
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 30)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Knowing_every_arrival_ahead_it_misses_exactly_as_many_and_is_as_late_as_the_oracle(int seed)
    {
        // Each round re-solves what is left; the rest of the previous plan is still possible, so no round can do worse
        // than the first, which knows everything and is exact.
        var (testbed, trace) = OracleVersusPoliciesTests.RandomCase(seed);
        var oracle = ClairvoyantOracle.Solve(testbed, trace, OneThread);
        var policy = new ReplanningOptimum(testbed, OneThread, lookaheadSeconds: 1e6, trace);
        var outcomes = Simulator.Run(new ConfigurationDictionary(testbed), trace, policy);

        Assert.Equal(OracleStatus.Optimal, oracle.Status);
        Assert.Equal(oracle.Violations, outcomes.Count(o => o.Violated));
        Assert.Equal(oracle.ExcessSeconds, outcomes.Sum(o => o.ExcessSeconds), 6);
        Assert.True(policy.Solves >= 1);
    }
}
