using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli.Commands;

/// <summary>The phases of <c>synergai bench control-plane</c> (see <see cref="ControlPlaneBenchCommand"/>), each on its own
/// pool <c>bench-{stamp}-{phase}</c>, all through the SDK.</summary>
internal sealed class ControlPlaneBench(CliIo io, SynergAiClient client)
{
    readonly string _stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
    /// <summary>The bench's job ids not cancelled yet.</summary>
    readonly ConcurrentDictionary<string, byte> _submitted = new(StringComparer.Ordinal);
    readonly Testbed _kinds = ReferenceTestbed.Load();
    readonly Lock _say = new();
    readonly List<string> _failed = [];
    int _next;

    void Say(string message)
    {
        lock (_say) io.Error.WriteLine(message);
    }

    void Say(FormattableString message) => Say(message.ToString(CultureInfo.InvariantCulture));

    public async Task<BenchFigures> RunAsync(BenchSettings s, IReadOnlySet<int>? gatewayPorts, CancellationToken cancel)
    {
        var silos = await client.CountActiveSilosAsync(cancel);
        if (s.FailoverKill is not null && silos < 2)
            throw new ArgumentException($"--failover-kill needs at least 2 active silos (one to kill, one to carry on); {silos} active");
        Say($"bench {_stamp}: {silos} active silo(s); pools bench-{_stamp}-*");
        var pids = CpuPids(s.SiloPids, gatewayPorts);

        var submit = await PhaseAsync(["submissions_per_s", "submissions_per_s_cold"], () => SubmissionsAsync(s, pids, cancel), cancel);
        var dispatch = await PhaseAsync(["dispatch_p50_ms", "dispatch_p99_ms"], () => DispatchLatencyAsync(s, cancel), cancel);
        double? small = null, medium = null, large = null;
        if (s.Sizes != "none")
        {
            small = await PhaseAsync(["reeval_1k_x_100_ms"], () => ReevaluationAsync("reeval100", 100, 1_000, s.Reevaluations, cancel), cancel);
            medium = await PhaseAsync(["reeval_10k_x_1k_ms"], () => ReevaluationAsync("reeval1k", 1_000, 10_000, s.Reevaluations, cancel), cancel);
        }
        if (s.Sizes == "both")
            large = await PhaseAsync(["reeval_100k_x_10k_ms"], () => ReevaluationAsync("reeval10k", 10_000, 100_000, Math.Min(3, s.Reevaluations), cancel), cancel);
        double? stall = null;
        if (s.FailoverKill is { } victim)
            stall = await PhaseAsync(["failover_stall_s"], () => FailoverAsync(victim, s, cancel), cancel);

        return new BenchFigures(silos, submit?.Warm, submit?.Cold, submit?.CpuMs, dispatch?.P50, dispatch?.P99, small, medium, large, stall,
            [.. _failed]);
    }

    /// <summary>Runs one phase; a failure (other than an interruption) is reported, its figures become null and the
    /// bench goes on with the next phase.</summary>
    async Task<T?> PhaseAsync<T>(string[] keys, Func<Task<T>> phase, CancellationToken cancel) where T : struct
    {
        try
        {
            return await phase();
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            Say($"  failed: {e.GetType().Name}: {e.Message}");
            _failed.AddRange(keys);
            return null;
        }
    }

    // ---- silo CPU ----

    /// <summary>The PIDs whose CPU time is measured: those given, else the silo processes on this machine (those whose
    /// gateway port is one of <paramref name="gatewayPorts"/> when the bench was given gateways); empty when none
    /// (or not on Linux).</summary>
    List<int> CpuPids(int[] given, IReadOnlySet<int>? gatewayPorts)
    {
        if (!SiloProcesses.Supported)
        {
            Say("silo CPU: n/a (no /proc: not Linux)");
            return [];
        }
        if (given.Length > 0)
        {
            Say($"silo CPU: PIDs {string.Join(", ", given)} (given)");
            return [.. given.Distinct()];
        }
        var found = SiloProcesses.Find();
        var ours = gatewayPorts is { Count: > 0 } ? found.Where(f => gatewayPorts.Contains(f.GatewayPort)).ToList() : found;
        foreach (var f in found)
            Say($"silo CPU: found silo process {f.Pid} (gateway port {f.GatewayPort}{(ours.Contains(f) ? "" : ", not one of --gateway's: left out")}): {f.Program}");
        if (ours.Count == 0)
            Say(found.Count == 0
                ? "silo CPU: n/a (no silo process on this machine; give --silo-pid PID)"
                : "silo CPU: n/a (no silo process with one of --gateway's ports; give --silo-pid PID)");
        else Say($"silo CPU: measuring PIDs {string.Join(", ", ours.Select(f => f.Pid))}");
        return [.. ours.Select(f => f.Pid)];
    }

    static Dictionary<int, long>? CpuTicks(IReadOnlyList<int> pids)
    {
        var ticks = new Dictionary<int, long>();
        foreach (var pid in pids)
        {
            if (SiloProcesses.CpuTicks(pid) is not { } t) return null;
            ticks[pid] = t;
        }
        return ticks;
    }

    // ---- pools and jobs ----

    /// <summary>A fresh pool with <paramref name="workers"/> copies of the reference testbed's workers, registered with
    /// bounded parallelism (progress every 5 s).</summary>
    async Task<(string Pool, Testbed Fleet)> PoolAsync(string phase, int workers, double timeScale, CancellationToken cancel)
    {
        var pool = $"bench-{_stamp}-{phase}";
        var fleet = BenchmarkWorkload.Fleet(_kinds, workers);
        var names = fleet.Workers.Select((w, i) => (w.Name, New: $"bench-{_stamp}-{phase}-w{i + 1:00000}"))
            .ToDictionary(p => p.Name, p => p.New, StringComparer.Ordinal);
        fleet = new Testbed([.. fleet.Workers.Select(w => w with { Name = names[w.Name] })],
            [.. fleet.Profile.Select(p => p with { Worker = names[p.Worker] })]);
        await client.ConfigurePoolAsync(pool, new PoolSettings("synergai", timeScale, TimeSpan.FromSeconds(Math.Max(0.010, timeScale))), cancel);
        var rows = fleet.Profile.ToLookup(p => p.Worker, StringComparer.Ordinal);
        var registered = 0;
        var clock = Stopwatch.StartNew();
        using (Every(TimeSpan.FromSeconds(5), () => $"  pool {pool}: {Volatile.Read(ref registered):N0} of {workers:N0} workers registered"))
            await Parallel.ForEachAsync(fleet.Workers, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancel }, async (w, token) =>
            {
                await client.RegisterWorkerAsync(TestbedRegistration.ToSpec(w), rows[w.Name].Select(TestbedRegistration.ToPoint), pool, token);
                Interlocked.Increment(ref registered);
            });
        Say($"  pool {pool}: {workers:N0} workers registered in {clock.Elapsed.TotalSeconds:0.0} s");
        return (pool, fleet);
    }

    /// <summary>Job specs with realistic engines, query counts and deadlines, cycling through a generated trace.</summary>
    static List<JobSpec> TraceSpecs(Testbed fleet, int count, double qosFactor = 1)
    {
        var trace = BenchmarkWorkload.Trace(fleet, Math.Min(count, 5_000), 0.9, seed: 1);
        return [.. Enumerable.Range(0, count).Select(i => trace[i % trace.Count]).Select(j => new JobSpec(j.Engine, j.Queries, j.QosSeconds * qosFactor))];
    }

    /// <summary>Specs whose query counts all differ (1 + i for the i-th), engines cycling, each with a deadline of three
    /// times its fastest estimate on the reference workers: no two jobs share an estimate.</summary>
    List<JobSpec> DistinctSpecs(int count)
    {
        var engines = _kinds.Profile.Select(p => p.Engine).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var byEngine = _kinds.Profile.ToLookup(p => p.Engine, StringComparer.Ordinal);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var engine = engines[i % engines.Count];
            var queries = 1 + i;
            return new JobSpec(engine, queries, Math.Round(3 * byEngine[engine].Min(p => p.EstimateSeconds(queries)), 3));
        })];
    }

    string NextId(string phase) => $"bench-{_stamp}-{phase}-j{Interlocked.Increment(ref _next):0000000}";

    async Task<JobStatus> SubmitAsync(JobSpec spec, string id, string pool, CancellationToken cancel)
    {
        _submitted.TryAdd(id, 0);
        return await client.SubmitAsync(spec, id, pool, cancel);
    }

    /// <summary>Closed loop: at most <paramref name="inFlight"/> submissions outstanding; returns the seconds taken.</summary>
    async Task<double> SubmitManyAsync(IReadOnlyList<JobSpec> specs, string phase, string pool, int inFlight, CancellationToken cancel)
    {
        var done = 0;
        var clock = Stopwatch.StartNew();
        using (Every(TimeSpan.FromSeconds(5), () => $"  {Volatile.Read(ref done):N0} of {specs.Count:N0} submitted"))
            await Parallel.ForEachAsync(specs, new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancel },
                async (spec, token) =>
                {
                    await SubmitAsync(spec, NextId(phase), pool, token);
                    Interlocked.Increment(ref done);
                });
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Open loop: the i-th action starts at <c>i / rate</c> seconds after the start however long earlier ones
    /// take (late ticks catch up at once). Returns the actions' tasks and the largest lateness in seconds.</summary>
    static async Task<(List<Task> Tasks, double MaxLateSeconds)> OpenLoopAsync(int count, double rate, Stopwatch clock,
        Func<int, Task> action, CancellationToken cancel, Action<int>? before = null)
    {
        var tasks = new List<Task>(count);
        var maxLate = 0.0;
        var start = clock.Elapsed.TotalSeconds;
        for (var i = 0; i < count; i++)
        {
            var due = start + i / rate;
            before?.Invoke(i);
            var wait = due - clock.Elapsed.TotalSeconds;
            if (wait > 0.001) await Task.Delay(TimeSpan.FromSeconds(wait), cancel);
            else if (wait > 0) await Task.Yield();
            maxLate = Math.Max(maxLate, clock.Elapsed.TotalSeconds - due);
            tasks.Add(action(i));
        }
        return (tasks, maxLate);
    }

    // ---- phases ----

    async Task<(double Warm, double Cold, double? CpuMs)> SubmissionsAsync(BenchSettings s, List<int> pids, CancellationToken cancel)
    {
        Say($"submissions/s: {s.Submissions:N0} jobs after a warm-up of {s.Submissions:N0}, {s.InFlight} in flight, to 3 workers at time scale 1 (the queue just grows)");
        var (pool, fleet) = await PoolAsync("submit", 3, timeScale: 1, cancel);
        try
        {
            var specs = TraceSpecs(fleet, s.Submissions);
            var coldSeconds = await SubmitManyAsync(specs, "submit", pool, s.InFlight, cancel);
            var cold = s.Submissions / coldSeconds;
            Say($"  warm-up: {s.Submissions:N0} submissions in {coldSeconds:0.00} s: {cold:N0}/s (cold)");

            var ticksPerSecond = pids.Count > 0 ? SiloProcesses.ClockTicksPerSecond() : 100;
            var before = CpuTicks(pids);
            var warmSeconds = await SubmitManyAsync(specs, "submit", pool, s.InFlight, cancel);
            var after = CpuTicks(pids);
            var warm = s.Submissions / warmSeconds;
            Say($"  timed: {s.Submissions:N0} submissions in {warmSeconds:0.00} s: {warm:N0}/s");
            double? cpuMs = null;
            if (pids.Count > 0 && before is not null && after is not null)
            {
                var ticks = pids.Sum(p => after[p] - before[p]);
                cpuMs = ticks * 1000.0 / ticksPerSecond / s.Submissions;
                Say($"  silo CPU during the timed run: {ticks} ticks at {ticksPerSecond}/s = {ticks * 1000.0 / ticksPerSecond:N0} ms, {cpuMs:0.000} ms per submission");
            }
            else if (pids.Count > 0) Say("  silo CPU: n/a (a measured process went away)");
            return (warm, cold, cpuMs);
        }
        finally
        {
            await CancelAsync(pool); // a long queue would keep the cluster busy during the next phases
        }
    }

    async Task<(double P50, double P99)> DispatchLatencyAsync(BenchSettings s, CancellationToken cancel)
    {
        const double timeScale = 1e-4;
        var warmUp = (int)Math.Ceiling(s.DispatchRate); // one second
        var measured = Math.Max(1, (int)Math.Round(s.DispatchRate * s.DispatchSeconds));
        Say($"dispatch latency (open loop): {s.DispatchRate:0.#}/s for 1 s of warm-up + {s.DispatchSeconds:0.#} s ({measured:N0} jobs) to {s.DispatchWorkers:N0} free workers at time scale {timeScale:g}");
        var (pool, fleet) = await PoolAsync("dispatch", s.DispatchWorkers, timeScale, cancel);
        try
        {
            var specs = TraceSpecs(fleet, warmUp + measured, qosFactor: 10);
            var ids = specs.Select(_ => NextId("dispatch")).ToArray();
            var clock = Stopwatch.StartNew();
            var (tasks, maxLate) = await OpenLoopAsync(specs.Count, s.DispatchRate, clock, i => SubmitAsync(specs[i], ids[i], pool, cancel), cancel);
            Say($"  {specs.Count:N0} submitted in {clock.Elapsed.TotalSeconds:0.00} s (schedule kept within {maxLate * 1000:0.0} ms)");
            await Task.WhenAll(tasks);
            await UntilAsync(pool, p => p.Queue.Count == 0 && p.Running == 0, "idle", TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200), cancel);

            var statuses = new JobStatus?[measured];
            await Parallel.ForEachAsync(Enumerable.Range(0, measured), new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancel },
                async (i, token) => statuses[i] = await client.GetAsync(ids[warmUp + i], token));
            var latencies = statuses.OfType<JobStatus>().Select(j => (j.StartedAt ?? j.DispatchedAt) is { } at ? (at - j.SubmittedAt).TotalMilliseconds : (double?)null)
                .OfType<double>().ToArray();
            var fellBack = statuses.Count(j => j is { StartedAt: null, DispatchedAt: not null });
            if (latencies.Length == 0) throw new InvalidOperationException("no measured bench job was started");
            var p50 = TraceGenerator.Quantile(latencies, 0.5);
            var p99 = TraceGenerator.Quantile(latencies, 0.99);
            Say($"  submit-to-start measured over {latencies.Length:N0} of {measured:N0} jobs ({measured - latencies.Length} never started, {fellBack} by their dispatch time): p50 {p50:0.00} ms, p99 {p99:0.00} ms, max {latencies.Max():0.00} ms");
            return (p50, p99);
        }
        finally
        {
            await CancelAsync(pool);
        }
    }

    async Task<double> ReevaluationAsync(string phase, int workers, int queued, int runs, CancellationToken cancel)
    {
        Say($"re-evaluation: {queued:N0} queued jobs, all query counts different, × {workers:N0} workers all busy with long jobs (time scale 1)");
        var poll = queued >= 50_000 ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(200);
        var patience = TimeSpan.FromMinutes(Math.Max(5, queued / 5_000.0));
        var (pool, fleet) = await PoolAsync(phase, workers, timeScale: 1, cancel);
        try
        {
            // Occupants: a million queries of an engine every worker has (about an hour even on the fastest worker), one
            // per worker, with a distant deadline.
            var common = _kinds.Workers.Select(w => _kinds.Profile.Where(p => p.Worker == w.Name).Select(p => p.Engine).ToHashSet(StringComparer.Ordinal))
                .Aggregate((a, b) => { a.IntersectWith(b); return a; });
            var occupant = new JobSpec(common.Order(StringComparer.Ordinal).First(), 1_000_000, 1e9);
            await SubmitManyAsync(Enumerable.Repeat(occupant, workers).ToList(), phase, pool, 200, cancel);
            await UntilAsync(pool, p => p.Running == workers && p.Queue.Count == 0, $"all {workers:N0} workers busy", patience, poll, cancel);

            var seconds = await SubmitManyAsync(DistinctSpecs(queued), phase, pool, 500, cancel);
            await UntilAsync(pool, p => p.Queue.Count == queued, $"{queued:N0} jobs queued", patience, poll, cancel);
            Say($"  {queued:N0} jobs submitted in {seconds:0.0} s");

            await ReevaluateOnceAsync(pool, "warm-up: ", cancel);
            var times = new List<double>();
            for (var i = 0; i < runs; i++) times.Add(await ReevaluateOnceAsync(pool, "", cancel));
            times.Sort();
            var median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
            if (double.IsPositiveInfinity(median))
                throw new TimeoutException($"the median re-evaluation took longer than the SDK's call timeout ({timeouts(times)} of {runs} runs timed out)");
            return median;

            static int timeouts(List<double> times) => times.Count(double.IsPositiveInfinity);
        }
        finally
        {
            await CancelAsync(pool);
        }
    }

    /// <summary>One full re-evaluation: its time (estimates + policy) in ms, or +∞ when the call timed out (the SDK's
    /// calls time out after 10 s); then the bench waits until the pool answers again, so the next run starts on an idle
    /// coordinator.</summary>
    async Task<double> ReevaluateOnceAsync(string pool, string label, CancellationToken cancel)
    {
        try
        {
            var timing = await client.ReevaluateAsync(pool, cancel);
            Say($"  {label}{timing.QueuedJobs:N0} × {timing.Workers:N0}: estimates {timing.EstimateMilliseconds:0.0} ms + policy {timing.PolicyMilliseconds:0.0} ms");
            return timing.EstimateMilliseconds + timing.PolicyMilliseconds;
        }
        catch (TimeoutException) when (!cancel.IsCancellationRequested)
        {
            Say($"  {label}timed out (the SDK's call timeout): counted as longer than that");
            await client.GetPoolAsync(pool, cancel); // queued behind the re-evaluation; the SDK retries it for up to 60 s
            return double.PositiveInfinity;
        }
    }

    /// <summary>A steady open-loop load of submissions (each with an id, so the SDK retries it safely), the silo killed
    /// after <see cref="BenchSettings.FailoverBeforeSeconds"/>, and the longest gap between acknowledgements (a
    /// <c>SubmitAsync</c> that returned) from the kill on.</summary>
    async Task<double> FailoverAsync(int victim, BenchSettings s, CancellationToken cancel)
    {
        var total = Math.Max(2, (int)Math.Round(s.FailoverRate * (s.FailoverBeforeSeconds + s.FailoverAfterSeconds)));
        Say($"failover: {s.FailoverRate:0.#} submissions/s (open loop), SIGKILL of PID {victim} after {s.FailoverBeforeSeconds:0.#} s, then {s.FailoverAfterSeconds:0.#} s more");
        var (pool, fleet) = await PoolAsync("failover", 30, timeScale: 1, cancel);
        try
        {
            var specs = TraceSpecs(fleet, total);
            var acks = new double[total];
            Array.Fill(acks, double.NaN);
            var failures = 0;
            string? firstFailure = null;
            var killedAt = double.NaN;
            var clock = Stopwatch.StartNew();

            void KillIfDue(int i)
            {
                if (!double.IsNaN(killedAt) || i / s.FailoverRate < s.FailoverBeforeSeconds) return;
                Kill(victim);
                killedAt = clock.Elapsed.TotalSeconds;
                Say($"  {killedAt:0.00} s: killed PID {victim}");
            }

            async Task One(int i)
            {
                try
                {
                    await SubmitAsync(specs[i], NextId("failover"), pool, cancel);
                    acks[i] = clock.Elapsed.TotalSeconds;
                }
                catch (Exception e) when (!cancel.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref failures) == 1) firstFailure = $"{e.GetType().Name}: {e.Message}";
                }
            }

            List<Task> tasks;
            using (Every(TimeSpan.FromSeconds(5), () => $"  {clock.Elapsed.TotalSeconds:0} s: {acks.Count(a => !double.IsNaN(a)):N0} acknowledged"))
                (tasks, _) = await OpenLoopAsync(total, s.FailoverRate, clock, One, cancel, before: KillIfDue);
            if (double.IsNaN(killedAt)) KillIfDue(total);
            Say("  waiting for outstanding submissions (the SDK retries each for up to 60 s)");
            await Task.WhenAll(tasks);
            var acked = acks.Count(a => !double.IsNaN(a));

            var points = acks.Where(a => a >= killedAt).Order().Prepend(killedAt).ToList();
            var stall = 0.0;
            var stallFrom = killedAt;
            for (var i = 1; i < points.Count; i++)
                if (points[i] - points[i - 1] > stall)
                {
                    stall = points[i] - points[i - 1];
                    stallFrom = points[i - 1];
                }
            Say($"  {acked:N0} of {total:N0} submissions acknowledged ({points.Count - 1:N0} from the kill on); {failures} failed after the SDK's retries{(firstFailure is null ? "" : $" (first: {firstFailure})")}");
            Say($"  longest gap between acknowledgements from the kill on: {stall:0.000} s, from {stallFrom - killedAt:0.00} s after the kill");
            // A submission lost for good is not a stall: the cluster failed over badly (e.g. in-memory silos, whose
            // state dies with them), and a gap between the survivors' acknowledgements would flatter it.
            if (failures > 0) throw new InvalidOperationException($"{failures} submission(s) failed after the SDK's retries, first: {firstFailure}");
            return stall;
        }
        finally
        {
            await CancelAsync(pool);
        }
    }

    static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill(); // SIGKILL on Unix
    }

    // ---- helpers ----

    async Task UntilAsync(string pool, Func<PoolStatus, bool> done, string what, TimeSpan patience, TimeSpan poll, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var said = TimeSpan.Zero;
        while (!done(await client.GetPoolAsync(pool, cancel)))
        {
            if (clock.Elapsed > patience) throw new TimeoutException($"pool {pool}: not {what} after {patience.TotalMinutes:0} minutes");
            if (clock.Elapsed - said > TimeSpan.FromSeconds(5))
            {
                said = clock.Elapsed;
                Say($"  waiting until {what} ({clock.Elapsed.TotalSeconds:0} s)");
            }
            await Task.Delay(poll, cancel);
        }
    }

    /// <summary>Says <paramref name="message"/> every <paramref name="period"/> until disposed.</summary>
    IDisposable Every(TimeSpan period, Func<string> message)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token)) Say(message());
            }
            catch (OperationCanceledException) { /* stopped */ }
        });
        return new Stopper(stop);
    }

    sealed class Stopper(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose() => stop.Cancel();
    }

    /// <summary>Cancels this bench's jobs of one pool (by their id prefix), so the next phase runs on a quiet cluster.</summary>
    async Task CancelAsync(string pool)
    {
        var prefix = pool + "-j";
        await CancelIdsAsync([.. _submitted.Keys.Where(id => id.StartsWith(prefix, StringComparison.Ordinal))]);
    }

    public async Task CancelEverythingAsync()
    {
        var ids = _submitted.Keys.ToList();
        if (ids.Count == 0) return;
        Say($"cancelling the bench's {ids.Count:N0} jobs");
        await CancelIdsAsync(ids);
    }

    /// <summary>Cancels every job (a finished one stays as it is), 256 at a time; a cancel that fails (e.g. its grain was
    /// on a silo that just died) is tried once more after 5 s.</summary>
    async Task CancelIdsAsync(IReadOnlyList<string> ids)
    {
        if (ids.Count == 0) return;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(Math.Max(2, ids.Count / 1_000.0)));
        var left = ids;
        try
        {
            for (var pass = 0; pass < 2 && left.Count > 0; pass++)
            {
                if (pass > 0) await Task.Delay(TimeSpan.FromSeconds(5), limit.Token);
                var failed = new ConcurrentBag<string>();
                var done = 0;
                using (Every(TimeSpan.FromSeconds(5), () => $"  {Volatile.Read(ref done):N0} of {left.Count:N0} cancelled"))
                    await Parallel.ForEachAsync(left, new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = limit.Token }, async (id, token) =>
                    {
                        try
                        {
                            await client.CancelAsync(id, token);
                            _submitted.TryRemove(id, out _);
                        }
                        catch (ArgumentException) { _submitted.TryRemove(id, out _); /* never got in */ }
                        catch (Exception) when (!token.IsCancellationRequested) { failed.Add(id); }
                        Interlocked.Increment(ref done);
                    });
                left = [.. failed];
            }
            if (left.Count > 0) Say($"warning: {left.Count:N0} bench jobs could not be cancelled");
        }
        catch (OperationCanceledException)
        {
            Say($"warning: cancelling the bench's jobs took over {(TimeSpan.FromMinutes(Math.Max(2, ids.Count / 1_000.0))).TotalMinutes:0} minutes; some are left");
        }
    }
}
