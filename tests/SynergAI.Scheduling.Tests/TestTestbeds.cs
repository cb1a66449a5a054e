using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Scheduling.Tests;

/// <summary>Small hand-made testbeds and helpers shared by the tests. Every number is chosen so that the estimates
/// <c>T_est = T_pre + q / QPS</c> are whole seconds and easy to check by hand.</summary>
internal static class TestTestbeds
{
    public const string WorkersHeader = "worker,arch,cpus,memory_gb,default_config";
    public const string ProfileHeader = "worker,engine,config,qps,preprocess_s";
    public const string TraceHeader = "job,arrival_s,engine,queries,qos_s";

    /// <summary>Joins lines with '\n' (the CSV files have one row a line).</summary>
    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    public static Testbed Read(string workersCsv, string profileCsv) =>
        TestbedFiles.Read(new StringReader(workersCsv), new StringReader(profileCsv));

    /// <summary>A worker with one profile row per (engine, QPS, T_pre) — its single configuration, "c1", is its default.</summary>
    public static Worker W(string name, string defaultConfig = "c1") => new(name, "x86_64", 4, 8, defaultConfig);

    public static ProfileEntry P(string worker, string engine, string config, double qps, double pre = 0) =>
        new(worker, engine, config, qps, pre);

    /// <summary>Two workers, one engine "e". fast: c* "turbo" 20 QPS (default "d" 10 QPS); slow: "d" 2 QPS, T_pre 1.
    /// q = 100: fast 5 s, slow 51 s; q = 200: fast 10 s, slow 101 s.</summary>
    public static readonly ConfigurationDictionary FastAndSlow = new(new Testbed(
        [W("fast", "d"), W("slow", "d")],
        [P("fast", "e", "d", 10), P("fast", "e", "turbo", 20), P("slow", "e", "d", 2, 1)]));

    /// <summary>Builds a testbed whose workers each have a single configuration "c1" per engine.</summary>
    /// <param name="rows">(worker, engine, qps, pre) — workers are created in order of first appearance.</param>
    public static Testbed Simple(params (string Worker, string Engine, double Qps, double Pre)[] rows)
    {
        var workers = rows.Select(r => r.Worker).Distinct().Select(n => W(n)).ToList();
        var profile = rows.Select(r => P(r.Worker, r.Engine, "c1", r.Qps, r.Pre)).ToList();
        return new Testbed(workers, profile);
    }

    public static Job J(string id, double arrival, string engine, int queries, double qos) => new(id, arrival, engine, queries, qos);

    public static WorkerState[] States(ConfigurationDictionary dictionary) =>
        [.. dictionary.Workers.Select((w, i) => new WorkerState(i, w) { Strength = dictionary.DefaultStrength(i) })];

    /// <summary>Marks a worker busy until <paramref name="until"/> (estimate = until − now).</summary>
    public static void Busy(WorkerState worker, double now = 0, double until = 1000) =>
        worker.Start($"running-on-{worker.Worker.Name}", now, until - now);

    /// <summary>A QueuedJob with hand-made estimates: (worker, seconds) in the optimal config "opt" and in the default
    /// config "def" (the same seconds unless given).</summary>
    public static QueuedJob Q(Job job, int workerCount, params (int Worker, double Seconds)[] estimates)
    {
        var fastest = estimates.OrderBy(e => e.Seconds).ThenBy(e => e.Worker)
            .Select(e => new Estimate(e.Worker, "opt", e.Seconds)).ToArray();
        var defaults = new Estimate?[workerCount];
        foreach (var (w, s) in estimates) defaults[w] = new Estimate(w, "def", s);
        return new QueuedJob(job, fastest, defaults);
    }
}
