using System.Diagnostics;
using System.Globalization;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai bench forecast</c>: one SynergAI pool with a long queue and every worker busy, forecast again and
/// again; the median time of one forecast, of one admission check (the forecast with and without one more job) and of
/// one quote (the admission check plus the search for the tightest deadline).</summary>
internal static class ForecastBench
{
    /// <summary>Median wall time and process CPU time of one operation, in ms; CPU time is what it costs on a machine
    /// shared with other work.</summary>
    public sealed record Timing(double Milliseconds, double CpuMilliseconds);

    public sealed record Result(Timing Forecast, Timing Admission, Timing Quote, int Late);

    public static Result Run(Testbed kinds, int jobCount, int workerCount)
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
        // One more job of the same kind as the last, arriving now with as much slack as the queue's jobs had.
        var candidate = QueuedJob.Create(queue[^1] with { Id = "candidate", ArrivalSeconds = now, QosSeconds = queue[^1].QosSeconds + span }, dictionary);

        var late = PoolForecast.Predict(book, now).Count(f => f.MeetsDeadline != true);
        return new Result(Median(() => PoolForecast.Predict(book, now)), Median(() => PoolForecast.Predict(book, now, candidate)),
            Median(() => PoolForecast.Quote(book, now, candidate)), late);
    }

    /// <summary>The median of 10 runs of <paramref name="operation"/>, after a warm-up of at least 20 runs and 1 s, so
    /// that the JIT has tiered the round's methods up (it does so only after 30 calls and 100 ms without new methods to
    /// compile): a pool that forecasts on every round is long past that, and 3 warm-up runs measured mostly unoptimised
    /// code.</summary>
    static Timing Median(Action operation)
    {
        var warmUp = Stopwatch.StartNew();
        for (var runs = 0; runs < 20 || warmUp.Elapsed.TotalSeconds < 1; runs++) operation();
        var times = new List<double>();
        var cpu = new List<double>();
        for (var run = 0; run < 10; run++)
        {
            var cpuBefore = ProcessCpu();
            var clock = Stopwatch.StartNew();
            operation();
            times.Add(clock.Elapsed.TotalMilliseconds);
            cpu.Add(ProcessCpu() - cpuBefore);
        }
        times.Sort();
        cpu.Sort();
        return new Timing(times[times.Count / 2], cpu[cpu.Count / 2]);
    }

    /// <summary>The process's CPU time so far, in ms (this benchmark runs on one thread; GC threads count too).</summary>
    static double ProcessCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
}
