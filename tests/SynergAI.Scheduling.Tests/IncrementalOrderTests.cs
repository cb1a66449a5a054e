using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Scheduling.Tests;

/// <summary>SynergAI orders the queue incrementally (from the previous round's order) and, in a forecast, evaluates only
/// the jobs a round reaches: both must give exactly what a fresh full sort and a full evaluation give.</summary>
public class IncrementalOrderTests
{
    /// <summary>A fresh policy every round: every round sorts the whole queue from scratch, as before the incremental order.</summary>
    sealed class FreshEveryRound : ISchedulingPolicy
    {
        public string Name => "synergai";
        public IReadOnlyList<Placement> Schedule(SchedulingContext context) => new SynergAiPolicy().Schedule(context);
    }

    static string Describe(IEnumerable<JobOutcome> outcomes) =>
        string.Join("\n", outcomes.Select(o => $"{o.Job.Id},{o.Worker},{o.Config},{o.StartedSeconds:R},{o.CompletedSeconds:R},{o.WaitedFor}"));

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.05)]
    [InlineData(3, 0.2)]
    public void The_incremental_order_is_a_full_sorts_on_a_loaded_fleet(int seed, double noise)
    {
        // 40 workers, 600 jobs at load 1.1: long queues, deadlines lost on the way (jobs move to the late group),
        // arrivals between rounds, noise making runs end off their estimates.
        var fleet = BenchmarkWorkload.Fleet(ReferenceTestbed.Load(), 40);
        var dictionary = new ConfigurationDictionary(fleet);
        var trace = BenchmarkWorkload.Trace(fleet, 600, load: 1.1, seed);
        var options = new SimulationOptions(Noise: noise, Seed: seed);
        var incremental = Simulator.Run(dictionary, trace, new SynergAiPolicy(), options);
        var fresh = Simulator.Run(dictionary, trace, new FreshEveryRound(), options);
        Assert.Equal(Describe(fresh), Describe(incremental));
        Assert.Contains(incremental, o => o.Violated); // not a trivial case: some deadlines are lost
    }

    [Fact]
    public void The_incremental_order_is_a_full_sorts_when_learning_replaces_every_estimate()
    {
        var testbed = ReferenceTestbed.Load();
        var dictionary = new ConfigurationDictionary(testbed);
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var trace = TraceGenerator.Generate(Experiment.DhFh, testbed, seed);
            var options = new SimulationOptions(Seed: seed, Drift: [new WorkerDrift("agx", 1.5)], Learn: true);
            Assert.Equal(Describe(Simulator.Run(dictionary, trace, new FreshEveryRound(), options)),
                Describe(Simulator.Run(dictionary, trace, new SynergAiPolicy(), options)));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Evaluating_only_the_jobs_a_round_reaches_places_every_job_alike(int seed)
    {
        var fleet = BenchmarkWorkload.Fleet(ReferenceTestbed.Load(), 30);
        var dictionary = new ConfigurationDictionary(fleet);
        var trace = BenchmarkWorkload.Trace(fleet, 500, load: 1.2, seed);
        var every = Simulator.Run(dictionary, trace, new SynergAiPolicy(), new SimulationOptions(Seed: seed));
        var reached = Simulator.Run(dictionary, trace, new SynergAiPolicy { RecordsEveryJob = false }, new SimulationOptions(Seed: seed));
        static string Placed(IEnumerable<JobOutcome> o) => string.Join("\n", o.Select(x => $"{x.Job.Id},{x.Worker},{x.Config},{x.StartedSeconds:R},{x.CompletedSeconds:R}"));
        Assert.Equal(Placed(every), Placed(reached));
    }
}
