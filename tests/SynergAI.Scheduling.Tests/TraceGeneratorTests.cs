using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Simulation;
using static SynergAI.Scheduling.Tests.TestTestbeds;

namespace SynergAI.Scheduling.Tests;

public class TraceGeneratorTests
{
    /// <summary>
    /// Engine "e" has four profile rows with QPS 10, 20, 40, 50 (T_pre is ignored by the QoS). Engine "f" has one.
    /// q/QPS for q = 3900: 390, 195, 97.5, 78 → sorted 78, 97.5, 195, 390.
    ///   median (R-7, h = 3·0.5 = 1.5): 97.5 + 0.5·(195 − 97.5) = 146.25
    ///   p25    (R-7, h = 3·0.25 = 0.75): 78 + 0.75·(97.5 − 78) = 92.625
    /// q = 488: 48.8, 24.4, 12.2, 9.76 → median 12.2 + 0.5·12.2 = 18.3; p25 9.76 + 0.75·2.44 = 11.59
    /// </summary>
    static readonly Testbed Tiny = new(
        [W("a", "c1"), W("b", "c1")],
        [
            P("a", "e", "c1", 10, 5), P("a", "e", "c2", 20, 5),
            P("b", "e", "c1", 40, 7), P("b", "e", "c2", 50, 9),
            P("a", "f", "c1", 100, 1),
        ]);

    static readonly Testbed Three = SimulatorTests.SmallFleet();

    [Theory]
    [InlineData("DL-FL", 3900, 146.25)]
    [InlineData("DH-FL", 3900, 92.625)]
    [InlineData("DL-FH", 488, 18.3)]
    [InlineData("DH-FH", 488, 11.59)]
    public void QosIsTheQuantileOfQueriesOverQpsOverTheEnginesProfileRows(string experiment, int queries, double expected)
    {
        var e = Experiment.Parse(experiment)[0];
        Assert.Equal(expected, TraceGenerator.QosSeconds(Tiny, e, "e", queries), 9);
    }

    [Fact]
    public void GeneratedJobsCarryTheirEnginesQos()
    {
        foreach (var experiment in Experiment.All)
            foreach (var job in TraceGenerator.Generate(experiment, Tiny, seed: 3, jobsPerEngine: 6))
                Assert.Equal(Math.Round(TraceGenerator.QosSeconds(Tiny, experiment, job.Engine, job.Queries), 3), job.QosSeconds);
        // One spot check against the hand-computed table: every DL "e" job with q 3900 has T_qos 146.25.
        var dl = TraceGenerator.Generate(Experiment.DlFl, Tiny, seed: 1, jobsPerEngine: 40);
        Assert.All(dl.Where(j => j.Engine == "e" && j.Queries == 3900), j => Assert.Equal(146.25, j.QosSeconds));
        Assert.Contains(dl, j => j.Engine == "e" && j.Queries == 3900);
    }

    [Fact]
    public void MeanInterArrivalIsTheQuantileOfEstimatesOverAllRowsAndQueryCounts()
    {
        // One row, QPS 10, T_pre 2: T_pre + q/QPS = 392, 197, 99.5, 50.8 → sorted 50.8, 99.5, 197, 392.
        //   FL median: 99.5 + 0.5·97.5 = 148.25     FH p25: 50.8 + 0.75·48.7 = 87.325
        var one = new Testbed([W("a")], [P("a", "e", "c1", 10, 2)]);
        Assert.Equal(148.25, TraceGenerator.MeanInterArrival(one, Experiment.DlFl), 9);
        Assert.Equal(87.325, TraceGenerator.MeanInterArrival(one, Experiment.DhFh), 9);
    }

    [Fact]
    public void DeterministicPerSeedAndDifferentBetweenSeeds()
    {
        foreach (var experiment in Experiment.All)
        {
            Assert.Equal(TraceGenerator.Generate(experiment, Three, 7), TraceGenerator.Generate(experiment, Three, 7));
            Assert.NotEqual(TraceGenerator.Generate(experiment, Three, 7), TraceGenerator.Generate(experiment, Three, 8));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void ShapeOfATrace(int jobsPerEngine)
    {
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var trace = TraceGenerator.Generate(Experiment.DhFh, Three, seed, jobsPerEngine);
            Assert.Equal(2 * jobsPerEngine, trace.Count);
            Assert.All(trace.GroupBy(j => j.Engine), g => Assert.Equal(jobsPerEngine, g.Count()));
            Assert.Equal(["mobilenet", "resnet"], trace.Select(j => j.Engine).Distinct().Order());
            Assert.All(trace, j => Assert.Contains(j.Queries, new[] { 3900, 1950, 975, 488 }));
            Assert.Equal(0, trace[0].ArrivalSeconds);
            for (var i = 1; i < trace.Count; i++) Assert.True(trace[i].ArrivalSeconds >= trace[i - 1].ArrivalSeconds);
            Assert.Equal(trace.Count, trace.Select(j => j.Id).Distinct().Count());
            Assert.All(trace, j => Assert.False(j.Id.All(char.IsAsciiDigit), $"id '{j.Id}' is all digits"));
            Assert.All(trace, j => Assert.Equal(Math.Round(j.ArrivalSeconds, 3), j.ArrivalSeconds));
        }
    }

    [Fact]
    public void TwelveEnginesTwiceGiveTwentyFourJobsWithTwoDigitIds()
    {
        var engines = Enumerable.Range(1, 12).Select(i => $"engine-{i}").ToArray();
        var testbed = new Testbed([W("a")], [.. engines.Select((e, i) => P("a", e, "c1", 10 + i, 1))]);
        var trace = TraceGenerator.Generate(Experiment.DlFl, testbed, 1);
        Assert.Equal(24, trace.Count);
        Assert.Equal(Enumerable.Range(1, 24).Select(i => $"job-{i:00}"), trace.Select(j => j.Id));
        Assert.All(trace.GroupBy(j => j.Engine), g => Assert.Equal(2, g.Count()));
        Assert.Equal(12, trace.Select(j => j.Engine).Distinct().Count());
    }

    [Fact]
    public void HighFrequencyTracesArriveFasterOnAverage()
    {
        // Mean gap: FL uses the median, FH the 25th percentile of T_pre + q/QPS, so FH < FL.
        Assert.True(TraceGenerator.MeanInterArrival(Three, Experiment.DlFh) < TraceGenerator.MeanInterArrival(Three, Experiment.DlFl));
        double MeanGap(Experiment e) => Enumerable.Range(1, 8).Average(seed =>
        {
            var t = TraceGenerator.Generate(e, Three, seed, jobsPerEngine: 10);
            return t[^1].ArrivalSeconds / (t.Count - 1);
        });
        Assert.True(MeanGap(Experiment.DlFh) < MeanGap(Experiment.DlFl));
        Assert.True(MeanGap(Experiment.DhFh) < MeanGap(Experiment.DhFl));
    }

    [Fact]
    public void DemandOnlyChangesTheQosAndFrequencyOnlyTheArrivals()
    {
        // Same seed: DL-FL and DH-FL share engines, queries and arrivals; DL-FL and DL-FH share engines, queries, QoS.
        var dlfl = TraceGenerator.Generate(Experiment.DlFl, Three, 5);
        var dhfl = TraceGenerator.Generate(Experiment.DhFl, Three, 5);
        var dlfh = TraceGenerator.Generate(Experiment.DlFh, Three, 5);
        Assert.Equal(dlfl.Select(j => (j.Id, j.Engine, j.Queries, j.ArrivalSeconds)), dhfl.Select(j => (j.Id, j.Engine, j.Queries, j.ArrivalSeconds)));
        Assert.All(dlfl.Zip(dhfl), p => Assert.True(p.Second.QosSeconds <= p.First.QosSeconds));
        Assert.Equal(dlfl.Select(j => (j.Engine, j.Queries, j.QosSeconds)), dlfh.Select(j => (j.Engine, j.Queries, j.QosSeconds)));
    }

    // ---------------------------------------------------------------- Experiment.Parse

    [Theory]
    [InlineData("DL-FL", "DL-FL")]
    [InlineData("dl-fl", "DL-FL")]
    [InlineData("Dh-fH", "DH-FH")]
    [InlineData("dl-FH", "DL-FH")]
    [InlineData("DH-FL", "DH-FL")]
    public void ExperimentNamesAreCaseInsensitive(string input, string expected) =>
        Assert.Equal(expected, Assert.Single(Experiment.Parse(input)).Name);

    [Theory]
    [InlineData("all")]
    [InlineData("ALL")]
    [InlineData("All")]
    public void AllIsEveryExperimentInRisingDifficulty(string input) =>
        Assert.Equal(["DL-FL", "DL-FH", "DH-FL", "DH-FH"], Experiment.Parse(input).Select(e => e.Name));

    [Theory]
    [InlineData("DL_FL")]
    [InlineData("dlfl")]
    [InlineData("")]
    [InlineData("DL-FL,DH-FH")]
    public void UnknownExperimentIsAClearError(string input)
    {
        var e = Assert.Throws<ArgumentException>(() => Experiment.Parse(input));
        Assert.Contains($"unknown experiment '{input}'", e.Message);
        Assert.Contains("DL-FL, DL-FH, DH-FL, DH-FH, all", e.Message);
    }

    [Fact]
    public void ExperimentQuantiles()
    {
        Assert.Equal((0.5, 0.5), (Experiment.DlFl.QosQuantile, Experiment.DlFl.InterArrivalQuantile));
        Assert.Equal((0.5, 0.25), (Experiment.DlFh.QosQuantile, Experiment.DlFh.InterArrivalQuantile));
        Assert.Equal((0.25, 0.5), (Experiment.DhFl.QosQuantile, Experiment.DhFl.InterArrivalQuantile));
        Assert.Equal((0.25, 0.25), (Experiment.DhFh.QosQuantile, Experiment.DhFh.InterArrivalQuantile));
    }

    // ---------------------------------------------------------------- PolicyCatalog.Parse

    [Fact]
    public void PolicyListAllIsTheWholeCatalog() =>
        Assert.Equal(["synergai", "rr", "srr", "lru", "mru", "be", "slo-mael", "slack-aware"], PolicyCatalog.Parse("all"));

    [Theory]
    [InlineData("rr", new[] { "rr" })]
    [InlineData("rr,synergai", new[] { "synergai", "rr" })]               // catalog order, not the list's
    [InlineData(" slo-mael , be ,rr ", new[] { "rr", "be", "slo-mael" })] // spaces trimmed
    [InlineData("rr,rr,,lru", new[] { "rr", "lru" })]                      // duplicates and empty entries dropped
    [InlineData("RR,SynergAI", new[] { "synergai", "rr" })]               // case-insensitive, like experiment names
    [InlineData("ALL", new[] { "synergai", "rr", "srr", "lru", "mru", "be", "slo-mael", "slack-aware" })]
    public void PolicyListsKeepTheCatalogOrder(string input, string[] expected) =>
        Assert.Equal(expected, PolicyCatalog.Parse(input));

    [Theory]
    [InlineData("fifo", "fifo")]
    [InlineData("rr,edf", "edf")]
    public void UnknownPolicyIsAClearError(string input, string unknown)
    {
        var e = Assert.Throws<ArgumentException>(() => PolicyCatalog.Parse(input));
        Assert.Contains($"unknown policy '{unknown}'", e.Message);
        Assert.Contains("synergai", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    public void EmptyPolicyListIsAClearError(string input) =>
        Assert.Contains("no policy named", Assert.Throws<ArgumentException>(() => PolicyCatalog.Parse(input)).Message);

    // ---------------------------------------------------------------- ExperimentRunner

    [Fact]
    public void ExperimentRunnerRunsEachSeedsTraceUnderEveryPolicy()
    {
        var dictionary = new ConfigurationDictionary(Three);
        var options = new SimulationOptions(Noise: 0.1, Seed: 99);
        var summaries = ExperimentRunner.Run(Three, Experiment.DhFh, ["synergai", "rr"], seeds: 3, options);
        Assert.Equal(["synergai", "rr"], summaries.Select(s => s.Policy));
        foreach (var summary in summaries)
        {
            Assert.Equal(3, summary.Runs.Count);
            for (var seed = 1; seed <= 3; seed++)
            {
                // Seed s: trace s, noise seed s (the options' own seed is replaced).
                var trace = TraceGenerator.Generate(Experiment.DhFh, Three, seed);
                var direct = RunMetrics.From(Simulator.Run(dictionary, trace, PolicyCatalog.Create(summary.Policy), options with { Seed = seed }));
                Assert.Equal(direct, summary.Runs[seed - 1]);
            }
            var violations = summary.Summary(m => m.Violations);
            Assert.Equal(summary.Runs.Average(r => r.Violations), violations.Mean, 9);
            Assert.Equal(3, violations.Samples);
        }
    }
}
