using System.Diagnostics;
using System.Globalization;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai bench forecast</c>: one SynergAI pool with a long queue and every worker busy, forecast again and
/// again; the median time of one forecast.</summary>
internal static class ForecastBench
{
    /// <summary>The median wall time and thread CPU time of one of 10 forecasts (after warming up the JIT), in ms; CPU time
    /// is what the forecast costs on a machine shared with other work.</summary>
    public static (double Milliseconds, double CpuMilliseconds, int Late) Median(Testbed kinds, int jobCount, int workerCount)
    {
        var fleet = BenchmarkWorkload.Fleet(kinds, workerCount);
        var dictionary = new ConfigurationDictionary(fleet);
        var book = new PoolBook(new SynergAiPolicy());
        for (var w = 0; w < workerCount; w++)
            book.SetWorker(fleet.Workers[w], dictionary.ClassOf(w).ToString(CultureInfo.InvariantCulture), dictionary.DefaultStrength(w));
        var random = new Random(1);
        const double now = 1000;
        for (var w = 0; w < workerCount; w++) book.MarkBusy(w, $"running-{w}", now - 10, 10 + random.NextDouble() * 300);
        var queue = BenchmarkWorkload.Trace(fleet, jobCount, load: 0.9, seed: 1);
        var span = queue[^1].ArrivalSeconds;
        foreach (var job in queue) // they arrived over the last stretch before now, in the same order
            book.Arrive(QueuedJob.Create(job with { ArrivalSeconds = now - span + job.ArrivalSeconds, QosSeconds = job.QosSeconds + span }, dictionary), now);
        book.Plan(now);

        var times = new List<double>();
        var cpu = new List<double>();
        var late = 0;
        // Warm-up: at least 20 forecasts and 1 s, so that the JIT has tiered the round's methods up (it does so only
        // after 30 calls and 100 ms without new methods to compile): a pool that forecasts on every round is long past
        // that, and 3 warm-up forecasts measured mostly unoptimised code.
        var warmUp = Stopwatch.StartNew();
        var warmUps = 0;
        for (; warmUps < 20 || warmUp.Elapsed.TotalSeconds < 1; warmUps++) PoolForecast.Predict(book, now);
        for (var round = 0; round < 10; round++)
        {
            var cpuBefore = ThreadCpu();
            var clock = Stopwatch.StartNew();
            var forecast = PoolForecast.Predict(book, now);
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
                cpu.Add(ThreadCpu() - cpuBefore);
            }
            late = forecast.Count(f => f.MeetsDeadline != true);
        }
        times.Sort();
        cpu.Sort();
        return (times[times.Count / 2], cpu[cpu.Count / 2], late);
    }

    /// <summary>The process's CPU time so far, in ms (this benchmark runs on one thread; GC threads count too).</summary>
    static double ThreadCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
}
