using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using Xunit.Abstractions;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

/// <summary>
/// The slack-aware policy on hand-made estimates, with its default knobs: margin 5% (finish + 0.05·(finish − now) ≤
/// deadline), cost = run time × class price + 20 × seconds waited, prices 1 until it has placed a job. Three workers,
/// each a class of its own: 0 "fast", 1 "mid", 2 "slow".
/// </summary>
public class SlackAwarePolicyTests(ITestOutputHelper output)
{
    static readonly Worker[] Fleet = [W("fast"), W("mid"), W("slow")];
    const int Fast = 0, Mid = 1, Slow = 2;

    static WorkerState[] Workers(params (int Worker, double Until)[] busy)
    {
        var states = Fleet.Select((w, i) => new WorkerState(i, w)).ToArray();
        foreach (var (worker, until) in busy) Busy(states[worker], 0, until);
        return states;
    }

    static QueuedJob Job(string id, double arrival, double qos, params (int Worker, double Seconds)[] estimates) =>
        Q(J(id, arrival, "e", 100, qos), Fleet.Length, estimates);

    static IReadOnlyList<Placement> Schedule(SlackAwarePolicy policy, double now, WorkerState[] workers, params QueuedJob[] queue) =>
        policy.Schedule(new SchedulingContext(now, workers, queue));

    [Fact]
    public void Waits_for_a_faster_busy_worker_when_that_still_meets_the_deadline_and_is_worth_the_wait()
    {
        // fast frees at 1: finish 1 + 20 = 21 (safe: 21 + 1.05 ≤ 100), cost 20 + 20×1 = 40; mid now: finish 60, cost 60.
        var job = Job("j", 0, 100, (Fast, 20), (Mid, 60), (Slow, 200));
        Assert.Empty(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 1)), job));
        Assert.Equal("waiting 1.0 s for fast, which finishes it 39.0 s sooner than the best free worker", job.WaitReason);
    }

    [Fact]
    public void Does_not_wait_for_a_faster_busy_worker_that_would_miss_the_deadline()
    {
        // fast frees at 90: finish 110 > 100. mid now: finish 60 (safe: 63 ≤ 100) → mid, now.
        var job = Job("j", 0, 100, (Fast, 20), (Mid, 60), (Slow, 200));
        var placement = Assert.Single(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 90)), job));
        Assert.Equal(Mid, placement.Worker);
        Assert.Equal("mid finishes it soonest, 40.0 s before its deadline (T_est 60.0 s)", placement.Reason);
    }

    [Fact]
    public void Does_not_wait_when_the_saving_is_smaller_than_the_wait_is_worth()
    {
        // fast frees at 10: finish 30, cost 20 + 20×10 = 220 > mid's 60 → mid now, though fast would finish 30 s sooner.
        var job = Job("j", 0, 100, (Fast, 20), (Mid, 60));
        Assert.Equal(Mid, Assert.Single(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 10)), job)).Worker);
    }

    [Fact]
    public void Keeps_the_scarce_worker_for_the_job_only_it_can_finish()
    {
        // Both free. "loose" arrived first (deadline 200) but "tight" (deadline 30) can only make it on fast (mid 60 > 30).
        // EDF: tight → fast now. loose: fast after tight (start 20, cost 20 + 400) or mid now (cost 60) → mid.
        var loose = Job("loose", 0, 200, (Fast, 20), (Mid, 60));
        var tight = Job("tight", 0, 30, (Fast, 20), (Mid, 60));
        var placements = Schedule(new SlackAwarePolicy(), 0, Workers(), loose, tight);
        Assert.Equal([("tight", Fast), ("loose", Mid)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Equal("kept fast free for tight, due in 30.0 s; mid still finishes it 140.0 s before its deadline", placements[1].Reason);
    }

    [Fact]
    public void Prices_the_workers_by_the_deadlines_seen_so_far()
    {
        // A fresh policy sends "loose" (fast 20, mid 30, both free) to fast: cost 20 < 30.
        var fresh = new SlackAwarePolicy();
        Assert.Equal(Fast, Assert.Single(Schedule(fresh, 100, Workers(), Job("loose", 100, 200, (Fast, 20), (Mid, 30)))).Worker);

        // Once it has placed a job whose deadline only fast could meet, fast holds all the remembered need against a
        // third of the workers: price 1 + 8 × (1 ÷ 1/3) = 25, mid 1. loose: fast 20 × 25 = 500 > mid 30 → mid.
        var taught = new SlackAwarePolicy();
        Assert.Equal(Fast, Assert.Single(Schedule(taught, 0, Workers(), Job("tight", 0, 25, (Fast, 20), (Mid, 60)))).Worker);
        var placement = Assert.Single(Schedule(taught, 100, Workers(), Job("loose", 100, 200, (Fast, 20), (Mid, 30))));
        Assert.Equal(Mid, placement.Worker);
        Assert.Equal("mid still finishes it 170.0 s before its deadline; fast would finish it 10.0 s sooner but is kept for tighter deadlines (price 25.0 vs 1.0)", placement.Reason);
    }

    [Fact]
    public void Plans_a_burst_together_so_that_every_job_of_it_meets_its_deadline()
    {
        // Three jobs at once, in arrival order a, b, c; fast and mid free.
        // EDF: b (40) → fast now, 0-30; c (70): fast 30-60 costs 30 + 600, mid 0-60 (63 ≤ 70) costs 60 → mid now;
        // a (300): fast 30-130 costs 100 + 600 = 700, mid 60-210 costs 150 + 1200 → waits for fast. All three make it.
        var a = Job("a", 0, 300, (Fast, 100), (Mid, 150));
        var b = Job("b", 0, 40, (Fast, 30), (Mid, 90));
        var c = Job("c", 0, 70, (Fast, 30), (Mid, 60));
        var placements = Schedule(new SlackAwarePolicy(), 0, Workers(), a, b, c);
        Assert.Equal([("b", Fast), ("c", Mid)], placements.Select(p => (p.Job.Job.Id, p.Worker)));
        Assert.Equal("waiting 30.0 s for fast, which still finishes it 170.0 s before its deadline", a.WaitReason);
    }

    [Fact]
    public void Holds_a_fresh_job_with_plenty_of_slack_so_that_a_tight_one_arriving_just_after_it_gets_the_fast_worker()
    {
        // slow busy, fast and mid free. At 0 "loose" (deadline 400) could finish on fast at 20 with 380 s to spare, more
        // than 100 + 4 → held. At 1 "tight" (deadline 26, only fast can make it) takes fast; loose is still held. At 4
        // loose is 4 s old: fast frees at 21 (cost 20 × 25 + 20 × 17 = 840 — fast's price is 1 + 8 × 3 once it placed
        // tight, whose deadline only fast could meet), mid now (cost 60) → mid. Both make it; a policy
        // that started loose on fast at 0 would make tight miss (fast free at 20, finish 40 > 26).
        var policy = new SlackAwarePolicy();
        var workers = Workers((Slow, 1000));
        var loose = Job("loose", 0, 400, (Fast, 20), (Mid, 60));
        Assert.Empty(Schedule(policy, 0, workers, loose));
        Assert.Equal("held 4.0 s more while a burst may be arriving; fast would still finish it 380.0 s before its deadline", loose.WaitReason);

        var tight = Job("tight", 1, 25, (Fast, 20), (Mid, 60));
        var placement = Assert.Single(Schedule(policy, 1, workers, loose, tight));
        Assert.Equal(("tight", Fast), (placement.Job.Job.Id, placement.Worker));
        Assert.StartsWith("held 3.0 s more", loose.WaitReason);
        workers[Fast].Start("tight", 1, 20);

        Assert.Equal(("loose", Mid), Assert.Single(Schedule(policy, 4, workers, loose)) is var p ? (p.Job.Job.Id, p.Worker) : default);
    }

    [Fact]
    public void Defers_a_long_lax_job_while_jobs_that_need_its_worker_are_expected_during_its_run()
    {
        // Taught four tight jobs, arriving at 0, 10, 20 and 30, whose deadlines only fast could meet: at 40 the arrival
        // rate is 4 ÷ 40 s = 0.1/s, fast holds all of their deadlines, and fast is one worker: 0.1 such jobs per second.
        var policy = new SlackAwarePolicy();
        for (var t = 0; t < 40; t += 10)
            Assert.Equal(Fast, Assert.Single(Schedule(policy, t, Workers(), Job($"tight-{t}", t, 25, (Fast, 20), (Mid, 60)))).Worker);
        var workers = Workers((Slow, 1000));

        // "lax" (only fast runs it, 50 s, due at 440): 0.1 × 50 = 5 such jobs expected during its run, ≥ 3; started now it
        // would finish at 90 with 350 s to spare, more than half its run → deferred, fast stays free.
        var lax = Job("lax", 0, 440, (Fast, 50));
        Assert.Empty(Schedule(policy, 40, workers, lax));
        Assert.Equal("deferred: 5.0 jobs per worker of fast's class that it could serve in time are expected during its 50.0 s run; "
            + "it could start up to 350.0 s later", lax.WaitReason);

        // A 20 s run expects 0.1 × 20 = 2 of them, fewer than 3 → starts now.
        Assert.Equal(("short", Fast), Assert.Single(Schedule(policy, 40, workers, Job("short", 0, 440, (Fast, 20)))) is var s ? (s.Job.Job.Id, s.Worker) : default);

        // Once its slack is down to half its run it starts, however many are expected: taught the same four jobs at 330-360,
        // at 370 the rate is again 0.1/s, but lax would finish at 420 with 20 s to spare, less than 25.
        var later = new SlackAwarePolicy();
        for (var t = 330; t < 370; t += 10)
            Assert.Equal(Fast, Assert.Single(Schedule(later, t, Workers(), Job($"tight-{t}", t, 25, (Fast, 20), (Mid, 60)))).Worker);
        Assert.Equal(("lax", Fast), Assert.Single(Schedule(later, 370, workers, lax)) is var p ? (p.Job.Job.Id, p.Worker) : default);

        // A policy that has seen no such jobs starts it at once.
        Assert.Equal(Fast, Assert.Single(Schedule(new SlackAwarePolicy(), 40, Workers((Slow, 1000)), Job("lax", 0, 440, (Fast, 50)))).Worker);
    }

    [Fact]
    public void Gives_up_a_long_job_when_that_lets_more_short_ones_make_their_deadlines()
    {
        // Only fast can run them; it frees at 10. EDF: long (deadline 90) 10-80, s1 (95) 80-95, s2 (100) 95-110 ✗.
        // Giving up long: s1 10-25 (70 s to spare), s2 25-40 — as many make it, with 70 s of fast left over → long is given up.
        var longJob = Job("long", 0, 90, (Fast, 70));
        var s1 = Job("s1", 0, 95, (Fast, 15));
        var s2 = Job("s2", 0, 100, (Fast, 15));
        Assert.Empty(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 10)), longJob, s1, s2));
        Assert.Equal("given up for shorter jobs that can then make their deadlines; waits until its own is lost", longJob.WaitReason);
        Assert.Equal("waiting 10.0 s for fast, which still finishes it 70.0 s before its deadline", s1.WaitReason);
    }

    [Fact]
    public void A_late_job_takes_a_free_worker_it_can_run_on_at_once()
    {
        // No starvation: deadline lost (fast 40 > 10) and only slow is free → slow, now.
        var late = Job("late", 0, 10, (Fast, 40), (Slow, 90));
        var placement = Assert.Single(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 500), (Mid, 500)), late));
        Assert.Equal(Slow, placement.Worker);
        Assert.StartsWith("no worker can meet the deadline (short by 30.0 s)", placement.Reason);
    }

    [Fact]
    public void A_job_whose_only_worker_is_free_starts_on_it_at_once()
    {
        var job = Job("j", 0, 100, (Mid, 50));
        Assert.Equal(Mid, Assert.Single(Schedule(new SlackAwarePolicy(), 0, Workers((Fast, 500)), job)).Worker);
    }

    [Fact]
    public void Never_leaves_a_job_waiting_forever_on_random_fleets_and_bursts()
    {
        // The simulator throws if jobs wait with every worker idle; beyond that, every job that waits does so for a
        // reason, and once its deadline is lost it waits only while every worker that can run it is busy.
        for (var seed = 1; seed <= 40; seed++)
        {
            var (fleet, trace) = GeneratedWorkload.Scaled(ReferenceTestbed.Load(), seed, bursty: seed % 2 == 0, seed % 3 == 0 ? Experiment.DhFh : Experiment.DlFh);
            var outcomes = Simulator.Run(new ConfigurationDictionary(fleet), trace, new SlackAwarePolicy(), new SimulationOptions(0.05, seed));
            Assert.Equal(trace.Count, outcomes.Count);
            Assert.All(outcomes, o => Assert.False(string.IsNullOrWhiteSpace(o.Reason)));
        }
    }

    [Fact]
    public void The_placed_jobs_alone_plan_to_the_same_placements()
    {
        // What a dispatcher does with a shard's offers: the policy again, over the offered jobs only.
        var random = new Random(3);
        for (var round = 0; round < 300; round++)
        {
            var now = 50.0;
            var busy = Enumerable.Range(0, 3).Where(_ => random.Next(3) == 0).Select(w => (w, now + random.Next(1, 60) * 1.0)).ToArray();
            var queue = Enumerable.Range(0, random.Next(1, 7)).Select(i => Job($"j{i}", random.Next(0, 50), random.Next(20, 200),
                (Fast, random.Next(5, 60)), (Mid, random.Next(20, 120)), (Slow, random.Next(40, 200)))).ToArray();
            var placements = Schedule(new SlackAwarePolicy(), now, Workers(busy), queue);
            var again = Schedule(new SlackAwarePolicy(), now, Workers(busy), [.. placements.Select(p => p.Job).Reverse()]);
            Assert.Equal(placements.Select(p => (p.Job.Job.Id, p.Worker)).Order(), again.Select(p => (p.Job.Job.Id, p.Worker)).Order());
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void Misses_fewer_deadlines_than_SynergAI_and_SLO_MAEL_in_each_experiment(double noise)
    {
        // Over the goal's 30 seeds (the margin over SynergAI in DH-FH is a fraction of a violation per trace).
        var testbed = ReferenceTestbed.Load();
        var dictionary = new ConfigurationDictionary(testbed);
        foreach (var experiment in Experiment.All)
        {
            int Violations(Func<ISchedulingPolicy> policy) => Enumerable.Range(1, 30).Sum(seed =>
                Simulator.Run(dictionary, TraceGenerator.Generate(experiment, testbed, seed), policy(), new SimulationOptions(noise, seed)).Count(o => o.Violated));
            var slackAware = Violations(() => new SlackAwarePolicy());
            Assert.True(slackAware < Violations(() => new SynergAiPolicy()), $"{experiment.Name}, noise {noise}: {slackAware} vs SynergAI {Violations(() => new SynergAiPolicy())}");
            Assert.True(slackAware < Violations(() => new SloMaelPolicy()), $"{experiment.Name}, noise {noise}: {slackAware} vs SLO-MAEL");
        }
    }

    [Fact]
    public void Misses_fewer_deadlines_than_SynergAI_on_fleets_and_bursts_it_was_not_tuned_on()
    {
        // Prints its figures: dotnet test … --filter "FullyQualifiedName~not_tuned_on" --logger "console;verbosity=detailed"
        const int seeds = 20;
        foreach (var bursty in new[] { false, true })
            foreach (var highDemand in new[] { false, true })
            {
                double Violations(Func<ISchedulingPolicy> policy) => Enumerable.Range(1, seeds).Average(seed =>
                {
                    var (fleet, trace) = GeneratedWorkload.Scaled(ReferenceTestbed.Load(), seed, bursty, highDemand ? Experiment.DhFh : Experiment.DlFh);
                    return Simulator.Run(new ConfigurationDictionary(fleet), trace, policy(), new SimulationOptions(0.05, seed)).Count(o => o.Violated);
                });
                var slackAware = Violations(() => new SlackAwarePolicy());
                var synergai = Violations(() => new SynergAiPolicy());
                var sloMael = Violations(() => new SloMaelPolicy());
                output.WriteLine($"{(bursty ? "bursty" : "poisson")},{(highDemand ? "DH" : "DL")} deadlines: violations of 40 per trace, mean over {seeds} fleets: "
                    + $"slack-aware {slackAware:0.00}, synergai {synergai:0.00}, slo-mael {sloMael:0.00}");
                Assert.True(slackAware < synergai, $"bursty {bursty}, high demand {highDemand}: {slackAware} vs SynergAI {synergai}");
                Assert.True(slackAware < sloMael, $"bursty {bursty}, high demand {highDemand}: {slackAware} vs SLO-MAEL {sloMael}");
            }
    }
}
