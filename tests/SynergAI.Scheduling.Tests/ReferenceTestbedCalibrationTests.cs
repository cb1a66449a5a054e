using SynergAI.Scheduling.Formats;

namespace SynergAI.Scheduling.Tests;

/// <summary>The shipped reference testbed agrees with the thesis's published figures within the tolerances the project
/// sets (Table 7.1 within 15%, ranges, means and ratios within 10%). Figures the profile cannot meet are not asserted;
/// Scheduling/Testbeds/reference/NOTES.md lists them. Regenerate the profile with derive.cs in that folder.</summary>
public class ReferenceTestbedCalibrationTests
{
    static readonly Testbed Bed = ReferenceTestbed.Load();

    static readonly string[] Engines =
    [
        "onnx-mobilenet-opset11", "onnx-mobilenet-opset8", "onnx-resnet50-opset11", "onnx-resnet50-opset8",
        "onnx-ssd-mobilenet-opset11", "onnx-ssd-mobilenet-opset8", "tf-mobilenet", "tf-mobilenet-quant",
        "tf-resnet50", "tf-ssd-mobilenet", "tflite-mobilenet", "tflite-mobilenet-quant",
    ];
    const string TfliteQuant = "tflite-mobilenet-quant";
    static readonly string[] ThreadConfigs = ["threads=1", "threads=2", "threads=4", "threads=8", "threads=16"];

    static ProfileEntry Entry(string worker, string engine, string config) =>
        Bed.Profile.SingleOrDefault(p => p.Worker == worker && p.Engine == engine && p.Config == config)
        ?? throw new Xunit.Sdk.XunitException($"reference profile has no row for ({worker}, {engine}, {config})");

    static double Qps(string worker, string engine, string config) => Entry(worker, engine, config).Qps;

    static void AssertWithin(double published, double ours, double tolerance, string figure)
    {
        double deviation = ours / published - 1;
        Assert.True(Math.Abs(deviation) <= tolerance,
            $"{figure}: ours {ours:0.###} vs published {published:0.###} ({deviation:+0.0%;-0.0%}, allowed ±{tolerance:0%})");
    }

    /// <summary>numpy's default percentile: linear interpolation between order statistics (R7).</summary>
    static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }

    [Fact]
    public void Has_the_three_workers_and_20_configurations_per_engine()
    {
        Assert.Equal(
            new[] { new Worker("x86", "x86_64", 16, 16, "threads=16"), new Worker("agx", "arm64", 8, 32, "mode=1"), new Worker("nx", "arm64", 6, 8, "mode=4") },
            Bed.Workers);
        Assert.Equal(Engines.Order(StringComparer.Ordinal), Bed.Engines.Order(StringComparer.Ordinal));
        string[] configs = [.. ThreadConfigs.Select(c => "x86 " + c), .. Enumerable.Range(1, 6).Select(m => $"agx mode={m}"),
            .. Enumerable.Range(1, 9).Select(m => $"nx mode={m}")];
        foreach (var engine in Engines)
            Assert.Equal(configs.Order(StringComparer.Ordinal),
                Bed.Profile.Where(p => p.Engine == engine).Select(p => $"{p.Worker} {p.Config}").Order(StringComparer.Ordinal));
    }

    // --- Thesis Table 7.1: p25 and median over an engine's 20 configurations of q / QPS, s ---------------------------

    static readonly (string Engine, double[] Published)[] Table71 =
    [
        // q = 3900 p25, median; 1950 p25, median; 975 p25, median; 488 p25, median
        ("onnx-mobilenet-opset11", [99.40, 179.23, 49.70, 89.61, 24.85, 44.81, 12.44, 22.43]),
        ("onnx-mobilenet-opset8", [112.92, 181.18, 56.46, 90.59, 28.23, 45.30, 14.13, 22.67]),
        ("onnx-resnet50-opset11", [339.48, 633.63, 169.74, 316.82, 84.87, 158.41, 42.48, 79.29]),
        ("onnx-resnet50-opset8", [336.46, 630.56, 168.23, 315.28, 84.12, 157.64, 42.10, 78.90]),
        ("onnx-ssd-mobilenet-opset11", [230.09, 396.95, 115.04, 198.47, 57.52, 99.24, 28.79, 49.67]),
        ("onnx-ssd-mobilenet-opset8", [271.74, 407.74, 135.87, 203.87, 67.94, 101.93, 34.00, 51.02]),
        ("tf-mobilenet", [172.31, 202.33, 86.15, 101.16, 43.08, 50.58, 21.56, 25.32]),
        ("tf-mobilenet-quant", [205.44, 231.36, 102.72, 115.68, 51.36, 57.84, 25.71, 28.95]),
        ("tf-resnet50", [693.64, 865.31, 346.82, 432.65, 173.41, 216.33, 86.79, 108.27]),
        ("tf-ssd-mobilenet", [386.29, 463.02, 193.14, 231.51, 96.57, 115.76, 48.34, 57.94]),
        ("tflite-mobilenet", [196.18, 240.45, 98.09, 120.22, 49.05, 60.11, 24.55, 30.09]),
        ("tflite-mobilenet-quant", [278.65, 356.73, 139.33, 178.37, 69.66, 89.18, 34.87, 44.64]),
    ];

    public static TheoryData<string, int, string, double> Table71Cases()
    {
        var data = new TheoryData<string, int, string, double>();
        int[] queries = [3900, 1950, 975, 488];
        foreach (var (engine, published) in Table71)
            for (int i = 0; i < queries.Length; i++)
            {
                data.Add(engine, queries[i], "p25", published[2 * i]);
                data.Add(engine, queries[i], "median", published[2 * i + 1]);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Table71Cases))]
    public void Table_7_1_execution_time_percentiles_within_15_percent(string engine, int queries, string statistic, double published)
    {
        var times = Bed.Profile.Where(p => p.Engine == engine).Select(p => queries / p.Qps).ToList();
        Assert.Equal(20, times.Count);
        double ours = Percentile(times, statistic == "p25" ? 0.25 : 0.5);
        AssertWithin(published, ours, 0.15, $"Table 7.1 {engine} q={queries} {statistic} of q/QPS (s)");
    }

    // --- Fig. 5.1: QPS range and mean over the 12 engines in each worker's top configuration -------------------------

    [Theory]
    [InlineData("x86", "threads=16", "min", 16.5)]
    [InlineData("x86", "threads=16", "max", 259)]
    [InlineData("x86", "threads=16", "mean", 52.3)]
    [InlineData("agx", "mode=6", "min", 5.7)]
    [InlineData("agx", "mode=6", "max", 39.3)]
    [InlineData("agx", "mode=6", "mean", 19)]
    [InlineData("nx", "mode=9", "min", 5.6)]
    [InlineData("nx", "mode=9", "max", 22)]
    [InlineData("nx", "mode=9", "mean", 12.5)]
    public void Top_configuration_qps_over_engines_within_10_percent(string worker, string config, string statistic, double published)
    {
        var qps = Engines.Select(e => Qps(worker, e, config)).ToList();
        double ours = statistic switch { "min" => qps.Min(), "max" => qps.Max(), _ => qps.Average() };
        AssertWithin(published, ours, 0.10, $"{worker} {config} {statistic} QPS over the 12 engines");
    }

    [Theory]
    [InlineData("x86", "threads=16", "tf-resnet50", "onnx-mobilenet-opset11")]
    [InlineData("agx", "mode=6", "tf-resnet50", "onnx-mobilenet-opset11")]
    [InlineData("nx", "mode=9", "tf-resnet50", "tf-mobilenet")]
    public void Slowest_and_fastest_engines_are_the_published_ones(string worker, string config, string slowest, string fastest)
    {
        var byQps = Engines.OrderBy(e => Qps(worker, e, config)).ToList();
        Assert.True(byQps[0] == slowest, $"{worker} {config}: slowest engine is {byQps[0]}, published {slowest}");
        Assert.True(byQps[^1] == fastest, $"{worker} {config}: fastest engine is {byQps[^1]}, published {fastest}");
    }

    // --- Fig. 5.2, 5.3: thread scaling and operating modes, mean over the 12 engines of the per-engine ratio ---------

    static double MeanRatio(string worker, string config, string over) =>
        Engines.Average(e => Qps(worker, e, config) / Qps(worker, e, over));

    [Theory]
    [InlineData(2, 1.6)]
    [InlineData(4, 2.5)]
    [InlineData(8, 3.8)]
    [InlineData(16, 4.5)]
    public void X86_thread_scaling_mean_within_10_percent(int threads, double published) =>
        AssertWithin(published, MeanRatio("x86", $"threads={threads}", "threads=1"), 0.10,
            $"x86 mean QPS speed-up of {threads} threads over 1 thread");

    [Theory]
    [InlineData(1, 2.2)]
    [InlineData(2, 2.0)]
    [InlineData(3, 1.8)]
    [InlineData(4, 1.4)]
    [InlineData(5, 1.3)]
    public void Agx_mode_6_over_other_modes_within_10_percent(int mode, double published) =>
        AssertWithin(published, MeanRatio("agx", "mode=6", $"mode={mode}"), 0.10, $"AGX mean QPS ratio mode 6 / mode {mode}");

    [Theory]
    [InlineData(1, 2.5)]
    [InlineData(2, 1.3)]
    [InlineData(3, 1.3)]
    [InlineData(4, 1.3)]
    [InlineData(5, 1.3)]
    [InlineData(6, 1.5)]
    [InlineData(7, 1.2)]
    [InlineData(8, 1.2)]
    public void Nx_mode_9_over_other_modes_within_10_percent(int mode, double published) =>
        AssertWithin(published, MeanRatio("nx", "mode=9", $"mode={mode}"), 0.10, $"NX mean QPS ratio mode 9 / mode {mode}");

    [Fact]
    public void Tflite_mobilenet_quant_scales_to_8_threads_and_is_back_to_its_1_thread_qps_at_16()
    {
        var qps = ThreadConfigs.Select(c => Qps("x86", TfliteQuant, c)).ToList();
        for (int i = 1; i < 4; i++)
            Assert.True(qps[i] > qps[i - 1], $"{TfliteQuant} x86: {ThreadConfigs[i]} ({qps[i]}) is not faster than {ThreadConfigs[i - 1]} ({qps[i - 1]})");
        AssertWithin(qps[0], qps[4], 0.10, $"{TfliteQuant} x86 threads=16 QPS against its threads=1 QPS");
    }

    public static TheoryData<string> EngineNames()
    {
        var data = new TheoryData<string>();
        foreach (var engine in Engines) data.Add(engine);
        return data;
    }

    [Theory]
    [MemberData(nameof(EngineNames))]
    public void Fastest_configuration_is_the_top_one_of_each_worker(string engine)
    {
        foreach (var (worker, top) in new[] { ("x86", engine == TfliteQuant ? "threads=8" : "threads=16"), ("agx", "mode=6"), ("nx", "mode=9") })
        {
            var fastest = Bed.Profile.Where(p => p.Worker == worker && p.Engine == engine).MaxBy(p => p.Qps)!;
            Assert.True(fastest.Config == top, $"{engine} on {worker}: fastest configuration is {fastest.Config}, expected {top}");
        }
    }

    // --- Pre-processing -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("tf-resnet50", 1.4)]
    [InlineData("onnx-mobilenet-opset11", 26.6)]
    public void X86_pre_processing_at_16_threads_matches_published(string engine, double published) =>
        AssertWithin(published, Entry("x86", engine, "threads=16").PreprocessSeconds, 0.10, $"{engine} x86 threads=16 pre-processing (s)");

    [Theory]
    [MemberData(nameof(EngineNames))]
    public void X86_pre_processing_falls_at_most_21_percent_from_1_to_16_threads(string engine)
    {
        var pre = ThreadConfigs.Select(c => Entry("x86", engine, c).PreprocessSeconds).ToList();
        for (int i = 1; i < pre.Count; i++)
            Assert.True(pre[i] <= pre[i - 1], $"{engine} x86: pre-processing grows from {ThreadConfigs[i - 1]} to {ThreadConfigs[i]}");
        double fall = 1 - pre[^1] / pre[0];
        Assert.True(fall <= 0.21 + 0.005, $"{engine} x86: pre-processing falls {fall:0.0%} from 1 to 16 threads (published: at most 21%)");
    }

    [Theory]
    [InlineData("agx", "mode=6", 1.10)]
    [InlineData("nx", "mode=9", 1.76)]
    public void Jetson_pre_processing_over_x86_within_10_percent(string worker, string config, double published) =>
        AssertWithin(published,
            Engines.Average(e => Entry(worker, e, config).PreprocessSeconds / Entry("x86", e, "threads=16").PreprocessSeconds), 0.10,
            $"mean pre-processing ratio {worker} {config} / x86 threads=16");

    // --- Fig. 5.1: execution time (pre-processing + 3900 / QPS) in the top configuration -----------------------------

    [Theory]
    [InlineData("x86", "threads=16", 2.4 * 60)]
    [InlineData("agx", "mode=6", 4.6 * 60)]
    [InlineData("nx", "mode=9", 6.8 * 60)]
    public void Mean_execution_time_of_3900_queries_within_10_percent(string worker, string config, double published) =>
        AssertWithin(published, Engines.Average(e => Entry(worker, e, config).EstimateSeconds(3900)), 0.10,
            $"{worker} {config} mean execution time of 3900 queries over the 12 engines (s)");
}
