using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Tests;

public class GeneratedWorkloadTests
{
    [Fact]
    public void Varied_fleets_have_classes_of_several_workers_engines_of_their_own_and_deadlines_an_idle_fleet_meets()
    {
        var kinds = ReferenceTestbed.Load();
        var sizes = new HashSet<int>();
        for (var seed = 1; seed <= 20; seed++)
            foreach (var experiment in Experiment.All)
            {
                var (fleet, trace) = GeneratedWorkload.Make(kinds, FleetShape.Varied, experiment, seed, seed % 2 == 0 ? ArrivalProcess.Bursty : ArrivalProcess.Poisson);
                var dictionary = new ConfigurationDictionary(fleet);
                sizes.Add(fleet.Workers.Count);
                Assert.InRange(dictionary.ClassCount, 2, 5);
                Assert.InRange(fleet.Workers.Count, dictionary.ClassCount, 30);
                Assert.All(dictionary.Engines, e => Assert.StartsWith("model-", e));
                Assert.Equal(40, trace.Count);
                Assert.Equal(trace.OrderBy(j => j.ArrivalSeconds).Select(j => j.Id), trace.Select(j => j.Id));
                foreach (var job in trace)
                {
                    // Some configuration somewhere finishes it within its QoS when started on arrival.
                    var fastest = fleet.Profile.Where(p => p.Engine == job.Engine).Min(p => p.EstimateSeconds(job.Queries));
                    Assert.True(fastest <= job.QosSeconds + 5e-4, $"seed {seed} {experiment.Name} {job.Id}: {fastest} > {job.QosSeconds}");
                }
            }
        Assert.Contains(sizes, n => n > 9); // more workers than the scaled fleets ever have
    }

    [Fact]
    public void The_same_seed_gives_the_same_fleet_and_trace()
    {
        var kinds = ReferenceTestbed.Load();
        var (a, ta) = GeneratedWorkload.Make(kinds, FleetShape.Varied, Experiment.DhFh, 7, ArrivalProcess.Bursty);
        var (b, tb) = GeneratedWorkload.Make(kinds, FleetShape.Varied, Experiment.DhFh, 7, ArrivalProcess.Bursty);
        Assert.Equal(a.Workers, b.Workers);
        Assert.Equal(a.Profile, b.Profile);
        Assert.Equal(ta, tb);
    }

    static FleetRunner.FleetRun Run(int floor, int policy, int optimum, int bound, bool proven = true) =>
        new(Experiment.DlFl, ArrivalProcess.Poisson, 1, 3, 2, 2, 10, floor, new Dictionary<string, int> { ["p"] = policy },
            new FleetRunner.Bounded(optimum, bound, proven, 0));

    [Fact]
    public void The_distance_to_the_optimum_is_averaged_as_documented()
    {
        // Fleet 1: policy 4, optimum 2 (bound 2), floor 1. Fleet 2: policy 1, optimum 0, floor 0.
        // Fleet 3: policy 3, optimum 3 but only bound 1 proven, floor 1.
        // Ratio of sums 8/5 = 1.6; to the bounds 8/3. Mean (v+1)/(o+1) = (5/3 + 2/1 + 4/4)/3 = 14/9;
        // to the bounds (5/3 + 2 + 4/2)/3 = 17/9. Avoidable: (8 − 2)/(5 − 2) = 2.
        var d = FleetRunner.DistanceOf("p", [Run(1, 4, 2, 2), Run(0, 1, 0, 0), Run(1, 3, 3, 1, proven: false)]);
        Assert.Equal(3, d.Fleets);
        Assert.Equal(8 / 3.0, d.MeanViolations, 9);
        Assert.Equal(1.6, d.RatioOfSums, 9);
        Assert.Equal(8 / 3.0, d.RatioOfSumsToBound, 9);
        Assert.Equal(14 / 9.0, d.MeanPlusOneRatio, 9);
        Assert.Equal(17 / 9.0, d.MeanPlusOneRatioToBound, 9);
        Assert.Equal(2, d.AvoidableRatio, 9);
        Assert.Equal(1, d.Unproven);
        // Both perfect is 1; a policy's violations against an optimum of none is infinite.
        Assert.Equal(1, FleetRunner.Ratio(0, 0));
        Assert.Equal(double.PositiveInfinity, FleetRunner.Ratio(2, 0));
    }

    [Fact]
    public void The_fleet_runner_counts_each_policys_violations_and_the_floor()
    {
        var runs = FleetRunner.Run(ReferenceTestbed.Load(), FleetShape.Scaled, [Experiment.DhFh], ArrivalProcess.Poisson, ["synergai"], 2,
            new SimulationOptions(0, 1), (fleet, trace, options) => new FleetRunner.Bounded(0, 0, true, 0));
        Assert.Equal([1, 2], runs.Select(r => r.Seed));
        foreach (var run in runs)
        {
            var (fleet, trace) = GeneratedWorkload.Scaled(ReferenceTestbed.Load(), run.Seed, false, Experiment.DhFh);
            var outcomes = Simulator.Run(new ConfigurationDictionary(fleet), trace, new Policies.SynergAiPolicy(), new SimulationOptions(0, run.Seed));
            Assert.Equal(outcomes.Count(o => o.Violated), run.Violations["synergai"]);
            Assert.InRange(run.Floor, 0, run.Violations["synergai"]);
            Assert.Equal(fleet.Workers.Count, run.Workers);
        }
    }
}
