using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli.Commands;

/// <summary>
/// <c>synergai bench control-plane</c>: figures for the running cluster — submissions per second from one client,
/// submit-to-dispatch latency with free workers, and the time of one full re-evaluation (1,000 queued × 100 workers and
/// 10,000 × 1,000). Every phase uses its own pool and workers (<c>bench-{stamp}-…</c>), so the <c>default</c> pool is
/// never touched, and every job it submitted is cancelled at the end.
/// </summary>
internal static class ControlPlaneBenchCommand
{
    public static readonly string[] JsonKeys =
        ["submissions_per_s", "dispatch_p50_ms", "dispatch_p99_ms", "reeval_1k_x_100_ms", "reeval_10k_x_1k_ms", "silos"];

    sealed record Sizes(int Submissions, int InFlight, int DispatchJobs, int Reevaluations);

    public static Command Create(CliIo io)
    {
        var format = Options.Format("table", "json");
        var submissions = new Option<int>("--submissions") { Description = "Jobs submitted for the submissions/s figure", DefaultValueFactory = _ => 20_000 }
            .Must(n => n > 0, "must be positive");
        var inFlight = new Option<int>("--in-flight") { Description = "Submissions kept in flight at once", DefaultValueFactory = _ => 500 }
            .Must(n => n > 0, "must be positive");
        var dispatchJobs = new Option<int>("--dispatch-jobs") { Description = "Jobs submitted one after another for the dispatch latency", DefaultValueFactory = _ => 1_000 }
            .Must(n => n > 0, "must be positive");
        var reevaluations = new Option<int>("--reevaluations") { Description = "Full re-evaluations timed per size (the median is reported)", DefaultValueFactory = _ => 5 }
            .Must(n => n > 0, "must be positive");
        var command = new Command("control-plane",
            "Measure the running control plane: submissions/s, submit-to-dispatch latency, re-evaluation time (uses its own bench pools)")
        {
            format, submissions, inFlight, dispatchJobs, reevaluations,
        };
        var cluster = new Cluster();
        command.Options.Add(cluster.Gateway);
        command.Options.Add(cluster.Connection);
        command.SetAction((parsed, cancel) => cluster.RunAsync(parsed, io, cancel, async (client, token) =>
        {
            var sizes = new Sizes(parsed.GetValue(submissions), parsed.GetValue(inFlight), parsed.GetValue(dispatchJobs), parsed.GetValue(reevaluations));
            var bench = new Bench(io, client);
            Figures figures;
            try
            {
                figures = await bench.RunAsync(sizes, token);
            }
            finally
            {
                await bench.CancelEverythingAsync();
            }
            Write(io, parsed.GetValue(format) == "json", figures);
            return 0;
        }));
        return command;
    }

    sealed record Figures(double SubmissionsPerSecond, double DispatchP50Ms, double DispatchP99Ms, double Reeval1kX100Ms, double Reeval10kX1kMs, int Silos);

    sealed class Bench(CliIo io, SynergAiClient client)
    {
        readonly string _stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        readonly ConcurrentBag<string> _submitted = [];
        readonly Testbed _kinds = ReferenceTestbed.Load();
        int _next;

        void Say(string message) => io.Error.WriteLine(message);

        public async Task<Figures> RunAsync(Sizes sizes, CancellationToken cancel)
        {
            var silos = await client.CountActiveSilosAsync(cancel);
            Say($"bench {_stamp}: {silos} active silo(s); pools bench-{_stamp}-*");
            var perSecond = await SubmissionsAsync(sizes, cancel);
            var (p50, p99) = await DispatchLatencyAsync(sizes, cancel);
            var small = await ReevaluationAsync("reeval100", workers: 100, queued: 1_000, sizes.Reevaluations, cancel);
            var large = await ReevaluationAsync("reeval1k", workers: 1_000, queued: 10_000, sizes.Reevaluations, cancel);
            return new Figures(perSecond, p50, p99, small, large, silos);
        }

        /// <summary>A fresh pool with <paramref name="workers"/> copies of the reference testbed's workers.</summary>
        async Task<(string Pool, Testbed Fleet)> PoolAsync(string phase, int workers, double timeScale, CancellationToken cancel)
        {
            var pool = $"bench-{_stamp}-{phase}";
            var fleet = BenchmarkWorkload.Fleet(_kinds, workers);
            var names = fleet.Workers.Select((w, i) => (w.Name, New: $"bench-{_stamp}-{phase}-w{i + 1:0000}"))
                .ToDictionary(p => p.Name, p => p.New, StringComparer.Ordinal);
            fleet = new Testbed([.. fleet.Workers.Select(w => w with { Name = names[w.Name] })],
                [.. fleet.Profile.Select(p => p with { Worker = names[p.Worker] })]);
            await client.ConfigurePoolAsync(pool, new PoolSettings("synergai", timeScale, TimeSpan.FromSeconds(Math.Max(0.010, timeScale))), cancel);
            var clock = Stopwatch.StartNew();
            await client.RegisterTestbedAsync(fleet, pool, cancel);
            Say(string.Create(CultureInfo.InvariantCulture, $"  pool {pool}: {workers} workers registered in {clock.Elapsed.TotalSeconds:0.0} s"));
            return (pool, fleet);
        }

        /// <summary>Job specs with realistic engines, query counts and deadlines, cycling through a generated trace.</summary>
        static List<JobSpec> Specs(Testbed fleet, int count, double qosFactor = 1)
        {
            var trace = BenchmarkWorkload.Trace(fleet, Math.Min(count, 5_000), 0.9, seed: 1);
            return [.. Enumerable.Range(0, count).Select(i => trace[i % trace.Count]).Select(j => new JobSpec(j.Engine, j.Queries, j.QosSeconds * qosFactor))];
        }

        string NextId(string phase) => $"bench-{_stamp}-{phase}-j{Interlocked.Increment(ref _next):000000}";

        async Task<JobStatus> SubmitAsync(JobSpec spec, string phase, string pool, CancellationToken cancel)
        {
            var id = NextId(phase);
            _submitted.Add(id);
            return await client.SubmitAsync(spec, id, pool, cancel);
        }

        async Task SubmitManyAsync(IReadOnlyList<JobSpec> specs, string phase, string pool, int inFlight, CancellationToken cancel) =>
            await Parallel.ForEachAsync(specs, new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancel },
                async (spec, token) => await SubmitAsync(spec, phase, pool, token));

        async Task<double> SubmissionsAsync(Sizes sizes, CancellationToken cancel)
        {
            Say($"submissions/s: {sizes.Submissions:N0} jobs, {sizes.InFlight} in flight, to 3 workers at time scale 1 (the queue just grows)");
            var (pool, fleet) = await PoolAsync("submit", 3, timeScale: 1, cancel);
            var specs = Specs(fleet, sizes.Submissions + 500);
            await SubmitManyAsync(specs[..500], "submit", pool, sizes.InFlight, cancel); // warm-up
            var clock = Stopwatch.StartNew();
            await SubmitManyAsync(specs[500..], "submit", pool, sizes.InFlight, cancel);
            var perSecond = sizes.Submissions / clock.Elapsed.TotalSeconds;
            Say(string.Create(CultureInfo.InvariantCulture, $"  {sizes.Submissions:N0} submissions in {clock.Elapsed.TotalSeconds:0.00} s: {perSecond:N0}/s"));
            await CancelAsync(pool); // a long queue would keep the cluster busy during the next phases
            return perSecond;
        }

        async Task<(double P50, double P99)> DispatchLatencyAsync(Sizes sizes, CancellationToken cancel)
        {
            const double timeScale = 1e-4;
            Say($"dispatch latency: {sizes.DispatchJobs:N0} jobs one after another to 100 free workers at time scale {timeScale:g}");
            var (pool, fleet) = await PoolAsync("dispatch", 100, timeScale, cancel);
            var warmUp = Math.Min(100, sizes.DispatchJobs);
            var specs = Specs(fleet, warmUp + sizes.DispatchJobs, qosFactor: 10);
            var ids = new List<string>();
            for (var i = 0; i < specs.Count; i++)
            {
                var status = await SubmitAsync(specs[i], "dispatch", pool, cancel);
                if (i >= warmUp) ids.Add(status.Id);
            }
            var statuses = await Task.WhenAll(ids.Select(id => client.WaitForCompletionAsync(id, TimeSpan.FromMilliseconds(50), cancel)));
            var latencies = statuses.Where(s => s.DispatchedAt is not null).Select(s => (s.DispatchedAt!.Value - s.SubmittedAt).TotalMilliseconds).ToArray();
            if (latencies.Length == 0) throw new InvalidOperationException("no bench job was dispatched");
            var p50 = TraceGenerator.Quantile(latencies, 0.5);
            var p99 = TraceGenerator.Quantile(latencies, 0.99);
            Say(string.Create(CultureInfo.InvariantCulture, $"  submit-to-dispatch over {latencies.Length} jobs: p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {latencies.Max():0.00} ms"));
            return (p50, p99);
        }

        async Task<double> ReevaluationAsync(string phase, int workers, int queued, int runs, CancellationToken cancel)
        {
            Say($"re-evaluation: {queued:N0} queued × {workers:N0} workers (all busy with long jobs at time scale 1)");
            var (pool, fleet) = await PoolAsync(phase, workers, timeScale: 1, cancel);
            // Occupants: the slowest engine's biggest job with a distant deadline, one per worker.
            var occupant = new JobSpec(fleet.Profile.MaxBy(p => p.EstimateSeconds(3900))!.Engine, 3900, 1e6);
            await SubmitManyAsync(Enumerable.Repeat(occupant, workers).ToList(), phase, pool, 200, cancel);
            await UntilAsync(pool, s => s.Running == workers && s.Queue.Count == 0, $"all {workers} workers busy", cancel);
            var clock = Stopwatch.StartNew();
            await SubmitManyAsync(Specs(fleet, queued), phase, pool, 500, cancel);
            await UntilAsync(pool, s => s.Queue.Count == queued, $"{queued} jobs queued", cancel);
            Say(string.Create(CultureInfo.InvariantCulture, $"  {queued:N0} jobs queued in {clock.Elapsed.TotalSeconds:0.0} s"));

            await client.ReevaluateAsync(pool, cancel); // warm-up
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var timing = await client.ReevaluateAsync(pool, cancel);
                times.Add(timing.EstimateMilliseconds + timing.PolicyMilliseconds);
                Say(string.Create(CultureInfo.InvariantCulture,
                    $"  {timing.QueuedJobs:N0} × {timing.Workers:N0}: estimates {timing.EstimateMilliseconds:0.0} ms + policy {timing.PolicyMilliseconds:0.0} ms"));
            }
            times.Sort();
            var median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
            await CancelAsync(pool);
            return median;
        }

        async Task UntilAsync(string pool, Func<PoolStatus, bool> done, string what, CancellationToken cancel)
        {
            var clock = Stopwatch.StartNew();
            while (!done(await client.GetPoolAsync(pool, cancel)))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"pool {pool}: not {what} after 5 minutes");
                await Task.Delay(100, cancel);
            }
        }

        /// <summary>Cancels this bench's jobs of one pool (by their id prefix), so the next phase runs on a quiet cluster.</summary>
        async Task CancelAsync(string pool)
        {
            var prefix = pool + "-j";
            var ids = _submitted.Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            await CancelIdsAsync(ids);
        }

        public async Task CancelEverythingAsync()
        {
            var ids = _submitted.Distinct().ToList();
            if (ids.Count == 0) return;
            Say($"cancelling the bench's {ids.Count:N0} jobs");
            await CancelIdsAsync(ids);
        }

        async Task CancelIdsAsync(IReadOnlyList<string> ids)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = limit.Token }, async (id, token) =>
                {
                    try { await client.CancelAsync(id, token); }
                    catch (ArgumentException) { /* never got in */ }
                });
            }
            catch (Exception e)
            {
                Say($"warning: could not cancel every bench job: {e.Message}");
            }
        }
    }

    static void Write(CliIo io, bool json, Figures f)
    {
        static double Round(double x, int digits) => Math.Round(x, digits, MidpointRounding.AwayFromZero);
        var values = new Dictionary<string, object>
        {
            ["submissions_per_s"] = Round(f.SubmissionsPerSecond, 0),
            ["dispatch_p50_ms"] = Round(f.DispatchP50Ms, 2),
            ["dispatch_p99_ms"] = Round(f.DispatchP99Ms, 2),
            ["reeval_1k_x_100_ms"] = Round(f.Reeval1kX100Ms, 2),
            ["reeval_10k_x_1k_ms"] = Round(f.Reeval10kX1kMs, 2),
            ["silos"] = f.Silos,
        };
        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(values));
            return;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("goal");
        table.AddRow("submissions/s (one client)", f.SubmissionsPerSecond.ToString("N0", CultureInfo.InvariantCulture), "≥ 5,000");
        table.AddRow("submit-to-dispatch p50 ms", f.DispatchP50Ms.ToString("0.00", CultureInfo.InvariantCulture), "");
        table.AddRow("submit-to-dispatch p99 ms", f.DispatchP99Ms.ToString("0.00", CultureInfo.InvariantCulture), "≤ 10");
        table.AddRow("re-evaluation 1,000 × 100 ms", f.Reeval1kX100Ms.ToString("0.00", CultureInfo.InvariantCulture), "≤ 20");
        table.AddRow("re-evaluation 10,000 × 1,000 ms", f.Reeval10kX1kMs.ToString("0.00", CultureInfo.InvariantCulture), "≤ 500");
        table.AddRow("active silos", f.Silos.ToString(CultureInfo.InvariantCulture), "");
        io.Tables.Write(table);
    }
}
