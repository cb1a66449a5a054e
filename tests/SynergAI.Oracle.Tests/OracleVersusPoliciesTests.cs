using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Oracle.Tests.ClairvoyantOracleTests;

namespace SynergAI.Oracle.Tests;

/// <summary>The oracle against every policy on random small traces and fleets.</summary>
public class OracleVersusPoliciesTests
{
    /// <summary>QPS values that divide 1000: with whole-millisecond T_pre and arrivals every run time and every event
    /// of the simulator falls on a whole millisecond, so the oracle's millisecond model is exact and no policy's
    /// schedule lies outside it.</summary>
    static readonly int[] Qps = [1, 2, 4, 5, 8, 10, 20, 25, 40, 50];

    internal static (Testbed Testbed, List<Job> Trace) RandomCase(int seed)
    {
        var random = new Random(seed);
        var engines = Enumerable.Range(0, random.Next(1, 4)).Select(e => $"engine-{e}").ToArray();
        var workers = Enumerable.Range(0, random.Next(2, 4)).Select(w => W($"worker-{w}")).ToList();
        var profile = new List<ProfileEntry>();
        foreach (var engine in engines)
        {
            // Every engine runs somewhere; any other worker runs it with probability 3/4, in one or two configurations.
            var must = random.Next(workers.Count);
            for (var w = 0; w < workers.Count; w++)
            {
                if (w != must && random.Next(4) == 0) continue;
                profile.Add(P(workers[w].Name, engine, Qps[random.Next(Qps.Length)], random.Next(0, 5000) / 1000.0));
                if (random.Next(2) == 0)
                    profile.Add(P(workers[w].Name, engine, Qps[random.Next(Qps.Length)], random.Next(0, 5000) / 1000.0, "c2"));
            }
        }
        var arrival = 0.0;
        var trace = new List<Job>();
        for (var i = 0; i < random.Next(4, 9); i++)
        {
            arrival += random.Next(0, 20_000) / 1000.0;
            var engine = engines[random.Next(engines.Length)];
            trace.Add(new Job($"job-{i}", arrival, engine, TraceGenerator.QueryCounts[random.Next(4)] / 10, random.Next(5_000, 150_000) / 1000.0));
        }
        return (new Testbed(workers, profile), trace);
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 50)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void TheOracleIsNeverWorseThanAnyPolicyAndItsBoundNeverAboveItsValue(int seed)
    {
        var (testbed, trace) = RandomCase(seed);
        var result = ClairvoyantOracle.Solve(testbed, trace, OneThread);

        Assert.Equal(OracleStatus.Optimal, result.Status);
        Assert.True(result.ViolationsLowerBound <= result.Violations);
        AssertValid(testbed, trace, result);

        var dictionary = new ConfigurationDictionary(testbed);
        foreach (var policy in PolicyCatalog.Names.Select(PolicyCatalog.Create).Append(new ReplanningOptimum(testbed, OneThread)))
        {
            var name = policy.Name;
            var outcomes = Simulator.Run(dictionary, trace, policy);
            var violations = outcomes.Count(o => o.Violated);
            Assert.True(result.Violations <= violations, $"seed {seed}: oracle {result.Violations} violations, {name} {violations}");
            // Lexicographic: with as many violations, the optimum is late by no more in all.
            if (result.Violations == violations)
                Assert.True(result.ExcessSeconds <= outcomes.Sum(o => o.ExcessSeconds) + 1e-6,
                    $"seed {seed}: oracle {result.ExcessSeconds} s late in all, {name} {outcomes.Sum(o => o.ExcessSeconds)} s");
        }
    }

    [Fact]
    public void UnderATightTimeLimitTheBoundStillHolds()
    {
        // 40 jobs arriving close together on three workers: too many to prove optimal in 0.2 s on one thread,
        // or quick enough — either way the reported bound is a bound and the schedule is valid.
        var testbed = new Testbed([W("a"), W("b"), W("c")],
            [P("a", "e", 10, 1), P("b", "e", 5, 0.5), P("c", "e", 2), P("a", "f", 4), P("c", "f", 8, 2)]);
        var random = new Random(7);
        var trace = Enumerable.Range(0, 40).Select(i => new Job($"job-{i}", i * 3, random.Next(2) == 0 ? "e" : "f",
            TraceGenerator.QueryCounts[random.Next(4)] / 10, random.Next(20, 120))).ToList();
        var result = ClairvoyantOracle.Solve(testbed, trace, new OracleOptions(0.2, Threads: 1));

        Assert.InRange(result.ViolationsLowerBound, 0, result.Violations);
        if (result.Status == OracleStatus.Optimal) Assert.Equal(result.Violations, result.ViolationsLowerBound);
        AssertValid(testbed, trace, result);
        var best = PolicyCatalog.Names.Min(n => Simulator.Run(new ConfigurationDictionary(testbed), trace, PolicyCatalog.Create(n)).Count(o => o.Violated));
        Assert.True(result.ViolationsLowerBound <= best);
    }

    /// <summary>Every job once, no earlier than it arrives, on a worker and configuration profiled for its engine, for
    /// that configuration's shortest run time on the worker; no two jobs at once on a worker.</summary>
    static void AssertValid(Testbed testbed, IReadOnlyList<Job> trace, OracleResult result)
    {
        Assert.Equal(trace.Select(j => j.Id).Order(), result.Schedule.Select(o => o.Job.Id).Order());
        foreach (var o in result.Schedule)
        {
            Assert.True(o.StartedSeconds >= o.Job.ArrivalSeconds - 1e-9, $"{o.Job.Id} starts before it arrives");
            var rows = testbed.Profile.Where(p => p.Worker == o.Worker && p.Engine == o.Job.Engine).ToList();
            var entry = Assert.Single(rows, p => p.Config == o.Config);
            Assert.Equal(rows.Min(p => p.EstimateSeconds(o.Job.Queries)), o.CompletedSeconds - o.StartedSeconds, 9);
            Assert.Equal(entry.EstimateSeconds(o.Job.Queries), o.CompletedSeconds - o.StartedSeconds, 9);
        }
        foreach (var worker in result.Schedule.GroupBy(o => o.Worker))
        {
            var runs = worker.OrderBy(o => o.StartedSeconds).ToList();
            for (var i = 1; i < runs.Count; i++)
                Assert.True(runs[i].StartedSeconds >= runs[i - 1].CompletedSeconds - 1e-9, $"{runs[i - 1].Job.Id} and {runs[i].Job.Id} overlap on {worker.Key}");
        }
        Assert.Equal(result.Schedule.Count(o => o.Violated), result.Violations);
        Assert.Equal(result.Schedule.Sum(o => o.ExcessSeconds), result.ExcessSeconds, 9);
    }
}
