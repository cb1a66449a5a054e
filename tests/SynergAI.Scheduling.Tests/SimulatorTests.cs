using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

public class SimulatorTests
{
    /// <summary>
    /// fast: default "d" 10 QPS, c* "turbo" 20 QPS, no T_pre. slow: only "d", 2 QPS, T_pre 1.
    /// q = 100: fast turbo 100/20 = 5 s, fast d 100/10 = 10 s, slow 1 + 100/2 = 51 s.
    /// q = 200: fast turbo 10 s,         fast d 20 s,          slow 1 + 200/2 = 101 s.
    /// </summary>
    static readonly Testbed TwoWorkers = new(
        [W("fast", "d"), W("slow", "d")],
        [P("fast", "e", "d", 10), P("fast", "e", "turbo", 20), P("slow", "e", "d", 2, 1)]);

    static readonly ConfigurationDictionary Two = new(TwoWorkers);

    /// <summary>Four jobs; see the tests for the hand-run schedules.</summary>
    static readonly Job[] FourJobs =
    [
        J("j1", 0, "e", 100, 20),
        J("j2", 1, "e", 100, 60),
        J("j3", 2, "e", 100, 10),
        J("j4", 3, "e", 200, 100),
    ];

    static Dictionary<string, JobOutcome> ById(IEnumerable<JobOutcome> outcomes) => outcomes.ToDictionary(o => o.Job.Id);

    static void AssertRan(JobOutcome o, string worker, string config, double started, double completed)
    {
        Assert.Equal(worker, o.Worker);
        Assert.Equal(config, o.Config);
        Assert.Equal(started, o.StartedSeconds, 9);
        Assert.Equal(completed, o.CompletedSeconds, 9);
    }

    [Fact]
    public void SynergAiHandRunTrace()
    {
        // t=0  j1 (T_qos 20): fast turbo 5 s ✓ → fast 0–5.
        // t=1  j2 (T_qos 60): fast busy; slow 51 ≤ 60 acceptable → slow 1–52.
        // t=2  j3 (T_qos 10), t=3 j4 (T_qos 100): both workers busy, wait.
        // t=5  fast frees. j3: T_rem 10 − 3 = 7, urgency 7 − 5 = 2; j4: T_rem 98, urgency 98 − 10 = 88 → j3 on fast 5–10.
        // t=10 fast frees → j4 on fast turbo 10–20 (slow busy until 52).
        var o = ById(Simulator.Run(Two, FourJobs, new SynergAiPolicy()));
        AssertRan(o["j1"], "fast", "turbo", 0, 5);
        AssertRan(o["j2"], "slow", "d", 1, 52);
        AssertRan(o["j3"], "fast", "turbo", 5, 10);
        AssertRan(o["j4"], "fast", "turbo", 10, 20);
        // waits 0, 0, 3, 7; e2e 5, 51, 8, 17 — all within their QoS.
        Assert.Equal([0.0, 0, 3, 7], FourJobs.Select(j => o[j.Id].WaitSeconds));
        Assert.DoesNotContain(o.Values, x => x.Violated);
        var metrics = RunMetrics.From(o.Values);
        Assert.Equal(0, metrics.Violations);
        Assert.Equal(2.5, metrics.WaitMean, 9);                 // (0+0+3+7)/4
        Assert.Equal(20.25, metrics.EndToEndMean, 9);           // (5+51+8+17)/4 = 81/4
    }

    [Fact]
    public void RoundRobinHandRunTrace()
    {
        // Default configurations: fast 10 s (q 100) / 20 s (q 200), slow 51 s.
        // t=0  j1 → fast 0–10 (pointer → slow). t=1 j2 → slow 1–52 (pointer → fast). j3, j4 wait (all busy).
        // t=10 fast frees → j3 (FIFO) 10–20: e2e 18 > 10 → violation, excess 8.
        // t=20 fast frees → j4 20–40: e2e 37 ≤ 100.
        var o = ById(Simulator.Run(Two, FourJobs, new RoundRobinPolicy()));
        AssertRan(o["j1"], "fast", "d", 0, 10);
        AssertRan(o["j2"], "slow", "d", 1, 52);
        AssertRan(o["j3"], "fast", "d", 10, 20);
        AssertRan(o["j4"], "fast", "d", 20, 40);
        Assert.Equal(["j3"], o.Values.Where(x => x.Violated).Select(x => x.Job.Id));
        Assert.Equal(8, o["j3"].ExcessSeconds, 9);
    }

    [Fact]
    public void CompletionsAreAppliedBeforeArrivalsAtTheSameTime()
    {
        // One worker. a runs 0–10 (100/10); b arrives at 10, exactly when a completes → starts at 10, waits 0.
        var dictionary = new ConfigurationDictionary(Simple(("w", "e", 10, 0)));
        var o = ById(Simulator.Run(dictionary, [J("a", 0, "e", 100, 50), J("b", 10, "e", 100, 50)], new LeastRecentlyUsedPolicy()));
        AssertRan(o["b"], "w", "c1", 10, 20);
        Assert.Equal(0, o["b"].WaitSeconds);
    }

    [Theory]
    [InlineData(1.0, 9.0)]    // ticks 2, 3, …, 8 (T_rem 1 ≥ 1, still feasible), 9 (T_rem 0 < 1) → slow at 9
    [InlineData(0.5, 8.5)]    // ticks every 0.5 s from 1: at 8.5 T_rem = 8 − 7.5 = 0.5 < 1 → slow at 8.5
    [InlineData(5.0, 11.0)]   // ticks 6 (T_rem 3, feasible), 11 (T_rem −2) → slow at 11
    public void PeriodicReevaluationMovesAJobThatBecameInfeasibleOntoAFreeSlowWorker(double interval, double expectedStart)
    {
        // fast 10 QPS, slow 1 QPS, no T_pre.
        // long (t=0, q 1000, T_qos 2000): fast 100 s ✓ → fast 0–100.
        // j (t=1, q 10, T_qos 8): fast 1 s ✓ but busy; slow 10 s > 8 ✗ → waits for fast while slow is idle.
        // Once T_rem = 8 − (now − 1) < 1 (now > 8) nothing can meet the deadline, so the next re-evaluation puts j on
        // slow (10 s) instead of waiting for fast to free at 100.
        var dictionary = new ConfigurationDictionary(Simple(("fast", "e", 10, 0), ("slow", "e", 1, 0)));
        var trace = new[] { J("long", 0, "e", 1000, 2000), J("j", 1, "e", 10, 8) };
        var o = ById(Simulator.Run(dictionary, trace, new SynergAiPolicy(), new SimulationOptions(ReevaluationIntervalSeconds: interval)));
        AssertRan(o["long"], "fast", "c1", 0, 100);
        AssertRan(o["j"], "slow", "c1", expectedStart, expectedStart + 10);
        Assert.True(o["j"].Violated);
        Assert.Contains("no worker can meet the deadline", o["j"].Reason);
    }

    [Fact]
    public void NoiseZeroRunsExactlyTheEstimate()
    {
        var testbed = SmallFleet();
        var dictionary = new ConfigurationDictionary(testbed);
        var trace = TraceGenerator.Generate(Experiment.DhFh, testbed, seed: 5, jobsPerEngine: 4);
        foreach (var name in PolicyCatalog.Names)
            foreach (var o in Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), new SimulationOptions(Noise: 0)))
            {
                var entry = testbed.Profile.Single(p => p.Worker == o.Worker && p.Engine == o.Job.Engine && p.Config == o.Config);
                Assert.Equal(entry.PreprocessSeconds + o.Job.Queries / entry.Qps, o.CompletedSeconds - o.StartedSeconds, 9);
            }
    }

    [Fact]
    public void SameTracePolicyAndSeedGiveIdenticalOutcomes()
    {
        var testbed = SmallFleet();
        var dictionary = new ConfigurationDictionary(testbed);
        var trace = TraceGenerator.Generate(Experiment.DlFh, testbed, seed: 2, jobsPerEngine: 4);
        foreach (var noise in new[] { 0.0, 0.1 })
            foreach (var name in PolicyCatalog.Names)
            {
                var first = Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), new SimulationOptions(noise, Seed: 9));
                var second = Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), new SimulationOptions(noise, Seed: 9));
                Assert.Equal(first, second);
            }
    }

    /// <summary>With noise, each job's run time / estimate is its own factor: the same under every policy for one seed
    /// (whatever worker and configuration it got), and different for another seed.</summary>
    [Fact]
    public void NoiseFactorsArePerJobAndSharedByEveryPolicy()
    {
        var testbed = SmallFleet();
        var dictionary = new ConfigurationDictionary(testbed);
        var trace = TraceGenerator.Generate(Experiment.DlFl, testbed, seed: 4, jobsPerEngine: 4);

        Dictionary<string, double> Factors(string policy, int seed) =>
            Simulator.Run(dictionary, trace, PolicyCatalog.Create(policy), new SimulationOptions(0.2, seed))
                .ToDictionary(o => o.Job.Id, o =>
                {
                    var entry = testbed.Profile.Single(p => p.Worker == o.Worker && p.Engine == o.Job.Engine && p.Config == o.Config);
                    return (o.CompletedSeconds - o.StartedSeconds) / entry.EstimateSeconds(o.Job.Queries);
                });

        var reference = Factors("synergai", 1);
        Assert.True(reference.Values.Distinct().Count() > trace.Count / 2, "factors should vary from job to job");
        Assert.Contains(reference.Values, f => Math.Abs(f - 1) > 1e-3);
        foreach (var name in PolicyCatalog.Names)
        {
            var factors = Factors(name, 1);
            foreach (var job in trace) Assert.Equal(reference[job.Id], factors[job.Id], 9);
        }
        var other = Factors("synergai", 2);
        Assert.Contains(trace, j => Math.Abs(other[j.Id] - reference[j.Id]) > 1e-6);
    }

    [Fact]
    public void EveryJobCompletesOnceAndNoWorkerRunsTwoJobsAtOnce()
    {
        var testbed = SmallFleet();
        var dictionary = new ConfigurationDictionary(testbed);
        foreach (var experiment in Experiment.All)
            foreach (var seed in new[] { 1, 2 })
            {
                var trace = TraceGenerator.Generate(experiment, testbed, seed, jobsPerEngine: 5);
                foreach (var name in PolicyCatalog.Names)
                {
                    var outcomes = Simulator.Run(dictionary, trace, PolicyCatalog.Create(name), new SimulationOptions(0.1, seed));
                    Assert.Equal(trace.Select(j => j.Id).Order(), outcomes.Select(o => o.Job.Id).Order());
                    Assert.All(outcomes, o =>
                    {
                        Assert.True(o.StartedSeconds >= o.Job.ArrivalSeconds, $"{name}: {o.Job.Id} started before it arrived");
                        Assert.True(o.CompletedSeconds > o.StartedSeconds);
                    });
                    foreach (var perWorker in outcomes.GroupBy(o => o.Worker))
                    {
                        var runs = perWorker.OrderBy(o => o.StartedSeconds).ToList();
                        for (var i = 1; i < runs.Count; i++)
                            Assert.True(runs[i].StartedSeconds >= runs[i - 1].CompletedSeconds,
                                $"{name} {experiment} seed {seed}: {runs[i].Job.Id} starts on {perWorker.Key} before {runs[i - 1].Job.Id} ends");
                    }
                }
            }
    }

    [Fact]
    public void ASingleJobRunsToCompletion()
    {
        // Regression: the run must end cleanly once the last job completes (no "jobs left waiting" error).
        var dictionary = new ConfigurationDictionary(Simple(("a", "e", 10, 0)));
        var outcome = Assert.Single(Simulator.Run(dictionary, [J("j1", 0, "e", 100, 20)], new SynergAiPolicy()));
        AssertRan(outcome, "a", "c1", 0, 10);
    }

    [Fact]
    public void EmptyTraceGivesNoOutcomes() =>
        Assert.Empty(Simulator.Run(Two, [], new SynergAiPolicy()));

    [Fact]
    public void NegativeOrNonFiniteNoiseIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Simulator.Run(Two, FourJobs, new SynergAiPolicy(), new SimulationOptions(Noise: -0.1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Simulator.Run(Two, FourJobs, new SynergAiPolicy(), new SimulationOptions(Noise: double.NaN)));
    }

    [Fact]
    public void APolicyThatLeavesJobsWaitingWithEveryWorkerIdleIsReported()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Simulator.Run(Two, FourJobs, new NeverPlaces()));
        Assert.Contains("never", e.Message);
        Assert.Contains("4 jobs waiting", e.Message);
    }

    /// <summary>
    /// Regression (found by this test, since fixed in Simulator.cs): a re-evaluation interval of 0, a negative number
    /// or NaN used to make the loop spin forever at one instant (or run the clock backwards) while a job waited and a
    /// worker was idle; it must be rejected up front like a bad noise value. The <see cref="StuckGuard"/> policy stops
    /// such a loop after many rounds so that a regression fails instead of hanging.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonPositiveReevaluationIntervalIsRejectedInsteadOfLoopingForever(double interval)
    {
        // SRR binds j1 → fast, j2 → slow, j3 → fast (default configurations): j1 fast 0–10, j2 slow 0–1.5
        // (1 + 1/2), j3 waits for fast. From t = 1.5 slow is idle while j3 waits, so re-evaluations are scheduled.
        var trace = new[] { J("j1", 0, "e", 100, 20), J("j2", 0, "e", 1, 60), J("j3", 0, "e", 100, 10) };
        var policy = new StuckGuard(new StrictRoundRobinPolicy());
        var e = Record.Exception(() => Simulator.Run(Two, trace, policy, new SimulationOptions(ReevaluationIntervalSeconds: interval)));
        if (e is not ArgumentOutOfRangeException)
            Assert.Fail($"expected ArgumentOutOfRangeException for interval {interval}, got {e?.GetType().Name ?? "no exception"}: {e?.Message}");
    }

    // ---------------------------------------------------------------- metrics

    static JobOutcome Outcome(string id, double arrival, double qos, double started, double completed) =>
        new(J(id, arrival, "e", 1, qos), "w", "c", started, completed, "test");

    [Fact]
    public void RunMetricsOnHandMadeOutcomes()
    {
        // id  arrival start end  qos | wait e2e violated excess
        // o1    0      0    10   20  |  0   10    no      0
        // o2    5     10    40   30  |  5   35    yes     5
        // o3   10     20    30   10  | 10   20    yes    10
        // o4   20     20    60   50  |  0   40    no      0
        var metrics = RunMetrics.From(
        [
            Outcome("o1", 0, 20, 0, 10),
            Outcome("o2", 5, 30, 10, 40),
            Outcome("o3", 10, 10, 20, 30),
            Outcome("o4", 20, 50, 20, 60),
        ]);
        Assert.Equal(4, metrics.Jobs);
        Assert.Equal(2, metrics.Violations);
        Assert.Equal(3.75, metrics.WaitMean, 9);                // (0+5+10+0)/4
        Assert.Equal(10, metrics.EndToEndMin, 9);
        Assert.Equal(26.25, metrics.EndToEndMean, 9);           // (10+35+20+40)/4 = 105/4
        Assert.Equal(40, metrics.EndToEndMax, 9);
        // R-7 p99 of sorted e2e [10, 20, 35, 40]: h = (4−1)·0.99 = 2.97 → x[2] + 0.97·(x[3] − x[2]) = 35 + 0.97·5 = 39.85
        Assert.Equal(39.85, metrics.EndToEndP99, 9);
        Assert.Equal(7.5, metrics.ExcessMeanViolating, 9);      // (5+10)/2
        Assert.Equal(3.75, metrics.ExcessMeanAll, 9);           // 15/4
    }

    [Fact]
    public void FinishingExactlyAtTheDeadlineIsNoViolation()
    {
        var onTime = Outcome("o", 5, 30, 5, 35);                // e2e 30 = T_qos
        Assert.False(onTime.Violated);
        Assert.Equal(0, onTime.ExcessSeconds);
        var metrics = RunMetrics.From([onTime]);
        Assert.Equal(0, metrics.Violations);
        Assert.Equal(0, metrics.ExcessMeanViolating);           // no violating job: 0, not NaN
        Assert.Equal(30, metrics.EndToEndP99, 9);
    }

    [Fact]
    public void RunMetricsOfNothingIsAnError() =>
        Assert.Throws<ArgumentException>(() => RunMetrics.From(Array.Empty<JobOutcome>()));

    [Fact]
    public void MeanWithIntervalOfOneTwoThree()
    {
        // mean 2; sd = √(((1−2)² + 0 + (3−2)²)/2) = 1; t(0.975, 2 df) = 4.302652729911275;
        // half-width = 4.3027 · 1/√3 = 2.4841377
        var m = MeanWithInterval.Of([1.0, 2, 3]);
        Assert.Equal(2, m.Mean, 12);
        Assert.Equal(4.302652729911275 / Math.Sqrt(3), m.HalfWidth, 9);
        Assert.Equal(2.48414, m.HalfWidth, 4);
        Assert.Equal(3, m.Samples);
    }

    [Fact]
    public void MeanWithIntervalEdgeCases()
    {
        Assert.Equal(new MeanWithInterval(7, 0, 1), MeanWithInterval.Of([7.0]));
        Assert.Equal(new MeanWithInterval(4, 0, 3), MeanWithInterval.Of([4.0, 4, 4]));
        // {0, 10}: mean 5, sd √50 = 7.0711, t(0.975, 1) = 12.7062 → 12.7062 · 7.0711/√2 = 63.531
        Assert.Equal(63.531, MeanWithInterval.Of([0.0, 10]).HalfWidth, 2);
        Assert.Throws<ArgumentException>(() => MeanWithInterval.Of(Array.Empty<double>()));
    }

    /// <summary>Three workers, two engines, two configurations each (default "d" slower than "t").</summary>
    internal static Testbed SmallFleet() => new(
        [W("x86", "d"), W("agx", "d"), W("nx", "d")],
        [
            P("x86", "resnet", "d", 16, 1.4), P("x86", "resnet", "t", 20, 1.2),
            P("agx", "resnet", "d", 3, 1.5), P("agx", "resnet", "t", 6, 1.6),
            P("nx", "resnet", "d", 4, 2.5), P("nx", "resnet", "t", 5, 2.4),
            P("x86", "mobilenet", "d", 200, 20), P("x86", "mobilenet", "t", 259, 26.6),
            P("agx", "mobilenet", "d", 20, 29), P("agx", "mobilenet", "t", 39, 29.3),
            P("nx", "mobilenet", "d", 15, 46), P("nx", "mobilenet", "t", 22, 47),
        ]);

    sealed class NeverPlaces : ISchedulingPolicy
    {
        public string Name => "never";
        public IReadOnlyList<Placement> Schedule(SchedulingContext context) => [];
    }

    /// <summary>Wraps a policy and throws once it has been asked to schedule 10 000 times at one instant, or once
    /// time runs backwards or is not a number.</summary>
    sealed class StuckGuard(ISchedulingPolicy inner) : ISchedulingPolicy
    {
        double _lastNow = double.NegativeInfinity;
        int _sameInstant;
        public string Name => inner.Name;
        public void OnArrival(QueuedJob job, SchedulingContext context) => inner.OnArrival(job, context);
        public IReadOnlyList<Placement> Schedule(SchedulingContext context)
        {
            if (double.IsNaN(context.Now) || context.Now < _lastNow)
                throw new TimeoutException($"simulation clock went from t={_lastNow} to t={context.Now}");
            _sameInstant = context.Now == _lastNow ? _sameInstant + 1 : 0;
            _lastNow = context.Now;
            if (_sameInstant > 10_000)
                throw new TimeoutException($"simulation stuck at t={context.Now}: scheduled 10 000 times without time advancing");
            return inner.Schedule(context);
        }
    }
}
