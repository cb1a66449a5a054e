using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Scheduling.Tests;

public class ArrivalProcessTests
{
    static readonly Testbed Reference = ReferenceTestbed.Load();
    static readonly Testbed Three = SimulatorTests.SmallFleet();

    static double[] Gaps(IReadOnlyList<Job> trace) =>
        [.. trace.Zip(trace.Skip(1), (a, b) => b.ArrivalSeconds - a.ArrivalSeconds)];

    [Fact]
    public void PoissonTracesAreWhatTheyWereBeforeArrivalProcessesExisted()
    {
        // Printed by `synergai trace --experiment DL-FH --seed 5` before the bursty process was added.
        var trace = TraceGenerator.Generate(Experiment.DlFh, Reference, 5);
        Assert.Equal(("job-01", 0.0, "onnx-ssd-mobilenet-opset11", 488, 48.6), Row(trace[0]));
        Assert.Equal(("job-02", 126.791, "onnx-resnet50-opset8", 975, 160.62), Row(trace[1]));
        Assert.Equal(("job-03", 238.047, "onnx-mobilenet-opset11", 488, 22.69), Row(trace[2]));
        Assert.Equal(("job-24", 2437.2, "tf-mobilenet-quant", 975, 59.235), Row(trace[23]));
        Assert.Equal(trace, TraceGenerator.Generate(Experiment.DlFh, Reference, 5, arrivals: ArrivalProcess.Poisson));

        static (string, double, string, int, double) Row(Job j) => (j.Id, j.ArrivalSeconds, j.Engine, j.Queries, j.QosSeconds);
    }

    [Theory]
    [InlineData("DL-FL")]
    [InlineData("DH-FH")]
    public void BurstyArrivalsKeepTheMeanRate(string name)
    {
        // 100 traces of 200 jobs: the mean gap between consecutive arrivals is the experiment's mean inter-arrival
        // time for both processes. Expected for bursty: (200 − mean size of the last burst ≈ 4) / 199 ≈ 0.985 of it.
        var experiment = Experiment.Parse(name)[0];
        var meanGap = TraceGenerator.MeanInterArrival(Three, experiment);
        foreach (var process in new[] { ArrivalProcess.Poisson, ArrivalProcess.Bursty })
        {
            var observed = Enumerable.Range(1, 100).Average(seed =>
                Gaps(TraceGenerator.Generate(experiment, Three, seed, jobsPerEngine: 100, arrivals: process)).Average());
            Assert.InRange(observed / meanGap, 0.94, 1.06);
        }
    }

    [Fact]
    public void BurstyTracesComeInBurstsWithLongGapsBetween()
    {
        foreach (var seed in Enumerable.Range(1, 20))
        {
            var poisson = TraceGenerator.Generate(Experiment.DlFh, Reference, seed);
            var bursty = TraceGenerator.Generate(Experiment.DlFh, Reference, seed, arrivals: ArrivalProcess.Bursty);
            var meanGap = TraceGenerator.MeanInterArrival(Reference, Experiment.DlFh);

            // Bursts: runs of arrivals less than the spread apart, of at least two jobs, making up most of the trace.
            var gaps = Gaps(bursty);
            var withinBurst = gaps.Count(g => g < TraceGenerator.BurstSpreadSeconds);
            Assert.True(withinBurst >= gaps.Length / 2, $"seed {seed}: only {withinBurst} of {gaps.Length} gaps within a burst");
            Assert.True(gaps.Max() > 10 * TraceGenerator.BurstSpreadSeconds, $"seed {seed}: no long gap");
            // Poisson arrivals on the same testbed (mean gap ~{meanGap:0} s) rarely come that close together.
            Assert.True(Gaps(poisson).Count(g => g < TraceGenerator.BurstSpreadSeconds) <= 3, $"seed {seed}: Poisson looks bursty");

            // Same shape otherwise: 24 jobs, first at 0, ascending, whole milliseconds, every engine twice.
            Assert.Equal(24, bursty.Count);
            Assert.Equal(0, bursty[0].ArrivalSeconds);
            Assert.All(gaps, g => Assert.True(g >= 0));
            Assert.All(bursty, j => Assert.Equal(Math.Round(j.ArrivalSeconds, 3), j.ArrivalSeconds));
            Assert.All(bursty.GroupBy(j => j.Engine), g => Assert.Equal(2, g.Count()));
            Assert.True(meanGap > 10 * TraceGenerator.BurstSpreadSeconds);
        }
    }

    [Fact]
    public void BurstSizesAndSpreadAreAsDocumented()
    {
        // The raw process, before it is cut to a trace's length: bursts are separated by gaps of ~k × 10⁶ s here,
        // so every run of arrivals within the spread is exactly one burst.
        var times = TraceGenerator.BurstyArrivals(2000, meanGap: 1e6, new Random(3));
        var bursts = new List<List<double>> { new() { times[0] } };
        foreach (var (previous, t) in times.Zip(times.Skip(1)))
            if (t - previous < TraceGenerator.BurstSpreadSeconds) bursts[^1].Add(t);
            else bursts.Add([t]);
        // The last burst may be cut short; every other one has a size from BurstSizes and lasts less than the spread.
        Assert.All(bursts.SkipLast(1), b => Assert.Contains(b.Count, TraceGenerator.BurstSizes));
        Assert.All(bursts, b => Assert.True(b[^1] - b[0] < TraceGenerator.BurstSpreadSeconds));
        Assert.InRange(bursts.SkipLast(1).Average(b => b.Count), 3.7, 4.3);
        Assert.Equal(TraceGenerator.BurstSizes, bursts.SkipLast(1).Select(b => b.Count).Distinct().Order());
    }

    [Fact]
    public void BurstyTracesAreDeterministicPerSeed()
    {
        Assert.Equal(TraceGenerator.Generate(Experiment.DhFh, Three, 4, arrivals: ArrivalProcess.Bursty),
            TraceGenerator.Generate(Experiment.DhFh, Three, 4, arrivals: ArrivalProcess.Bursty));
        Assert.NotEqual(TraceGenerator.Generate(Experiment.DhFh, Three, 4, arrivals: ArrivalProcess.Bursty),
            TraceGenerator.Generate(Experiment.DhFh, Three, 5, arrivals: ArrivalProcess.Bursty));
    }

    [Theory]
    [InlineData("poisson", ArrivalProcess.Poisson)]
    [InlineData("Bursty", ArrivalProcess.Bursty)]
    [InlineData(" BURSTY ", ArrivalProcess.Bursty)]
    public void ArrivalProcessNamesParse(string name, ArrivalProcess expected)
    {
        Assert.Equal(expected, ArrivalProcesses.Parse(name));
        Assert.Equal(name.Trim().ToLowerInvariant(), expected.Name());
    }

    [Fact]
    public void UnknownArrivalProcessIsAClearError() =>
        Assert.Equal("unknown arrival process 'uniform'; known: poisson, bursty",
            Assert.Throws<ArgumentException>(() => ArrivalProcesses.Parse("uniform")).Message);
}
