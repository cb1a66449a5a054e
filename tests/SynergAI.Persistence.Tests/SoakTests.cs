using System.Diagnostics;
using System.Globalization;
using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// A soak: three silo processes on PostgreSQL under a steady load of short jobs submitted through the SDK (each with its
/// own id), while a random silo is killed with <c>kill -9</c> and started again on the same ports every 20-30 s. Then the
/// load stops, the cluster drains (bounded wait) and the test judges by behaviour only — what the SDK acknowledged and
/// answers, the job history table, the executor runs the silos logged, the processes killed:
/// every acknowledged job ended, each Completed exactly once (one successful run, no two runs of a job overlapping),
/// nothing left Queued, Dispatched or Running, and no worker running two jobs at once.
/// Figures and verdicts are printed as <c>RESULT soak …</c> lines. Settings (environment): <c>SYNERGAI_SOAK_SECONDS</c>
/// (load duration, default 75: 2-3 kills; <c>tests/soak.sh</c> runs 300), <c>SYNERGAI_SOAK_SEED</c> (kills and jobs;
/// a new one each run by default, printed), <c>SYNERGAI_SOAK_RATE</c> (submissions a second, default 3),
/// <c>SYNERGAI_SOAK_DRAIN_SECONDS</c> (the bounded wait for the cluster to drain, default 120).
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SoakTests(SiloProcessFixture fixture, ITestOutputHelper output)
{
    static readonly string[] Unfinished = ["Submitted", "Queued", "Dispatched", "Running"];

    sealed class Submission(string id, JobSpec spec, DateTimeOffset sentAt)
    {
        public string Id { get; } = id;
        public JobSpec Spec { get; } = spec;
        public DateTimeOffset SentAt { get; } = sentAt;
        public DateTimeOffset? AckedAt { get; set; }
        public Exception? Error { get; set; }
    }

    sealed record Kill(int Number, SiloProcess Silo, DateTimeOffset At, TimeSpan Elapsed)
    {
        public TimeSpan? ReadyAfter { get; set; }
        public string? RestartError { get; set; }
    }

    [Fact]
    public async Task Three_silos_under_steady_load_with_one_killed_every_20_to_30_s_complete_every_acknowledged_job_once()
    {
        var duration = TimeSpan.FromSeconds(Setting("SYNERGAI_SOAK_SECONDS", 75));
        var seed = (int)Setting("SYNERGAI_SOAK_SEED", Random.Shared.Next(1, 1_000_000));
        var rate = Setting("SYNERGAI_SOAK_RATE", 3);
        var drainFor = TimeSpan.FromSeconds(Setting("SYNERGAI_SOAK_DRAIN_SECONDS", 120));

        await using var run = await TraceRun.StartAsync(fixture.Server, silos: 3, output);
        run.Say($"RESULT soak: seed {seed} (SYNERGAI_SOAK_SEED={seed} repeats it), load {duration.TotalSeconds:0} s at {rate} jobs/s, " +
                $"3 silos, a silo killed -9 and restarted every 20-30 s");
        var submissions = new List<Submission>();
        var kills = new List<Kill>();
        try
        {
            // ---- the load and the kills, side by side ----
            var engines = TraceRun.Engines();
            var jobs = new Random(seed);
            var killer = new Random(seed ^ 0x2545F491);
            var load = Stopwatch.StartNew();
            var loadStartedAt = DateTimeOffset.UtcNow;
            using var stop = new CancellationTokenSource(duration + drainFor + TimeSpan.FromMinutes(3)); // a hard bound on everything
            var killing = KillAsync(run, killer, load, duration, kills, stop.Token);
            var pending = new List<Task>();
            for (var i = 1; load.Elapsed < duration; i++)
            {
                var due = TimeSpan.FromSeconds((i - 1) / rate) - load.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, stop.Token);
                var submission = new Submission($"soak-{i:00000}", new JobSpec(engines[jobs.Next(engines.Count)], jobs.Next(100, 301), 1e6),
                    DateTimeOffset.UtcNow);
                submissions.Add(submission);
                pending.Add(SubmitAsync(run, submission, stop.Token)); // not awaited: a call stuck on a dead silo holds up no other
            }
            var loadEndedAt = DateTimeOffset.UtcNow;
            run.Say($"load stopped: {submissions.Count} submissions sent; waiting for the last answers and restart");
            await killing;
            await Task.WhenAll(pending);
            var acked = submissions.Where(s => s.AckedAt is not null).ToList();
            run.Say($"{acked.Count} of {submissions.Count} submissions acknowledged; draining (at most {drainFor.TotalSeconds:0} s)");

            // ---- drain: until every acknowledged job has ended and nothing is left unfinished, or the bound ----
            var drain = Stopwatch.StartNew();
            Dictionary<string, TraceRun.HistoryRow> history;
            Dictionary<string, JobStatus?> statuses = [];
            using (var draining = new CancellationTokenSource(drainFor))
            {
                while (true)
                {
                    history = await run.HistoryAsync(stop.Token);
                    var open = history.Values.Count(h => Unfinished.Contains(h.State)) + acked.Count(s => !history.ContainsKey(s.Id));
                    if (open == 0)
                    {
                        statuses = await StatusesAsync(run, acked, stop.Token);
                        if (statuses.Values.All(s => s is { IsFinished: true })) break;
                    }
                    if (draining.IsCancellationRequested)
                    {
                        statuses = await StatusesAsync(run, acked, stop.Token);
                        run.Say($"drain bound reached: {open} job(s) unfinished in the history table");
                        break;
                    }
                    try { await Task.Delay(1000, draining.Token); } catch (OperationCanceledException) { }
                }
            }
            var drainTime = drain.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(1), stop.Token); // the silos' last log lines
            var runs = run.Runs();
            run.Say($"drained after {drainTime.TotalSeconds:0.0} s");

            // ---- checks ----
            var byJob = runs.ToLookup(r => r.Job);
            var problems = new List<string>();
            var suspects = new SortedSet<string>(StringComparer.Ordinal);

            // 1. every acknowledged job ended (the SDK and its history row say Completed, Failed or Cancelled)
            var notEnded = acked.Where(s => statuses.GetValueOrDefault(s.Id) is not { IsFinished: true }
                || !history.TryGetValue(s.Id, out var h) || Unfinished.Contains(h.State)).ToList();
            foreach (var s in notEnded)
            {
                problems.Add($"not ended: {s.Id}: SDK {Describe(statuses.GetValueOrDefault(s.Id))}; history {Describe(history.GetValueOrDefault(s.Id))}");
                suspects.Add(s.Id);
            }

            // 2. each Completed exactly once: SDK and history Completed, one successful run, no two runs of the job overlapping
            var notCompletedOnce = new List<string>();
            foreach (var s in acked)
            {
                var status = statuses.GetValueOrDefault(s.Id);
                var row = history.GetValueOrDefault(s.Id);
                var succeeded = byJob[s.Id].Count(r => TraceRun.Succeeded(r, status));
                if (status?.State != JobState.Completed || row?.State != "Completed" || succeeded != 1)
                    notCompletedOnce.Add($"{s.Id}: SDK {Describe(status)}; history {Describe(row)}; successful runs {succeeded}");
            }
            var jobOverlaps = TraceRun.Overlaps(runs, r => r.Job).ToList();
            notCompletedOnce.AddRange(jobOverlaps.Select(o => $"{o.Later.Job}: runs overlap: {Describe(o.Earlier)} and {Describe(o.Later)}"));
            foreach (var p in notCompletedOnce) { problems.Add($"not completed exactly once: {p}"); suspects.Add(p[..p.IndexOf(':')]); }

            // 3. none stuck: nothing in the history table (acknowledged or not) left Submitted, Queued, Dispatched or Running
            var stuck = history.Values.Where(h => Unfinished.Contains(h.State)).OrderBy(h => h.Job, StringComparer.Ordinal).ToList();
            foreach (var h in stuck) { problems.Add($"stuck: {Describe(h)}"); suspects.Add(h.Job); }

            // 4. no worker ran two jobs at once
            var workerOverlaps = TraceRun.Overlaps(runs, r => r.Worker).ToList();
            foreach (var (earlier, later) in workerOverlaps)
            {
                problems.Add($"worker {later.Worker} ran two jobs at once: {Describe(earlier)} and {Describe(later)}");
                suspects.Add(earlier.Job);
                suspects.Add(later.Job);
            }

            // ---- figures ----
            var finished = acked.Select(s => statuses.GetValueOrDefault(s.Id)).OfType<JobStatus>().ToList();
            var reRuns = acked.Count(s => byJob[s.Id].Count() > 1);
            var repeatedSuccesses = acked.Sum(s => Math.Max(0, byJob[s.Id].Count(r => TraceRun.Succeeded(r, statuses.GetValueOrDefault(s.Id))) - 1));
            var waits = acked.Select(s => (s.Id, Wait: byJob[s.Id].Any() ? byJob[s.Id].Min(r => r.Started) - s.SentAt : (TimeSpan?)null))
                .Where(w => w.Wait is not null).ToList();
            var longestWait = waits.Count > 0 ? waits.MaxBy(w => w.Wait) : default;
            var turnarounds = finished.Where(f => f.CompletedAt is not null).Select(f => (f.Id, Time: f.CompletedAt!.Value - f.SubmittedAt)).ToList();
            var longestTurnaround = turnarounds.Count > 0 ? turnarounds.MaxBy(t => t.Time) : default;
            var ackTimes = acked.Select(s => s.AckedAt!.Value).Order().ToList();
            var gaps = kills.Select((k, i) => LongestGap(ackTimes, k.At, i + 1 < kills.Count ? kills[i + 1].At : loadEndedAt)).ToList();
            var overall = LongestGap(ackTimes, loadStartedAt, loadEndedAt);
            var notAcked = submissions.Where(s => s.AckedAt is null).ToList();

            run.Say($"RESULT soak duration: load {(loadEndedAt - loadStartedAt).TotalSeconds:0.0} s, drain {drainTime.TotalSeconds:0.0} s, seed {seed}");
            run.Say($"RESULT soak kills: {kills.Count} ({string.Join(", ", kills.Select(k => $"silo {k.Silo.SiloPort} at {k.Elapsed.TotalSeconds:0.0} s, " +
                (k.ReadyAfter is { } r ? $"restarted ready after {r.TotalSeconds:0.0} s" : $"restart FAILED: {k.RestartError}")))})");
            run.Say($"RESULT soak submissions: sent {submissions.Count}, acknowledged {acked.Count}, not acknowledged {notAcked.Count}" +
                    (notAcked.Count > 0 ? $" ({string.Join("; ", notAcked.Take(5).Select(s => $"{s.Id}: {s.Error?.GetType().Name}: {s.Error?.Message}"))})" : ""));
            run.Say($"RESULT soak jobs: completed {finished.Count(f => f.State == JobState.Completed)}, failed {finished.Count(f => f.State == JobState.Failed)}, " +
                    $"cancelled {finished.Count(f => f.State == JobState.Cancelled)}, not ended {notEnded.Count}, re-runs {reRuns} (jobs run more than once), " +
                    $"successful runs repeated {repeatedSuccesses}, executor runs {runs.Count}");
            run.Say($"RESULT soak waits: longest wait submission to first run {Seconds(longestWait.Wait)} ({longestWait.Id}), " +
                    $"longest submission to completion {Seconds(longestTurnaround.Time)} ({longestTurnaround.Id})");
            run.Say($"RESULT soak ack gaps: longest gap in acknowledged submissions after each kill: " +
                    $"{(kills.Count == 0 ? "(no kills)" : string.Join(", ", gaps.Select((g, i) => $"kill {i + 1} {g.TotalSeconds:0.0} s")))}; " +
                    $"longest over the whole load {overall.TotalSeconds:0.0} s");
            run.Say($"RESULT soak check every acknowledged job ended: {Verdict(notEnded.Count)}");
            run.Say($"RESULT soak check each Completed exactly once: {Verdict(notCompletedOnce.Count)}");
            run.Say($"RESULT soak check none stuck (Queued/Dispatched/Running): {Verdict(stuck.Count)}");
            run.Say($"RESULT soak check no worker ran two jobs at once: {Verdict(workerOverlaps.Count)}");
            var restartFailures = kills.Where(k => k.ReadyAfter is null).ToList();
            run.Say($"RESULT soak check every killed silo restarted: {Verdict(restartFailures.Count)}");
            run.Say($"RESULT soak: {(problems.Count == 0 && restartFailures.Count == 0 ? "PASS" : "FAIL")}");

            if (problems.Count > 0 || restartFailures.Count > 0)
            {
                run.Say($"{problems.Count} problem(s):\n  " + string.Join("\n  ", problems.Take(60)));
                foreach (var id in suspects.Take(12)) Evidence(run, id, statuses, history, byJob, kills);
                run.DumpSilos();
            }
            Assert.True(problems.Count == 0 && restartFailures.Count == 0,
                $"soak (seed {seed}) failed: {problems.Count} problem(s), {restartFailures.Count} failed restart(s); first: " +
                string.Join(" | ", problems.Take(5).Concat(restartFailures.Select(k => $"restart of silo {k.Silo.SiloPort}: {k.RestartError}"))));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            run.Say($"RESULT soak: FAIL ({e.GetType().Name}: {e.Message}); {submissions.Count} submissions, {kills.Count} kills");
            run.DumpSilos();
            throw;
        }
    }

    /// <summary>Every 20-30 s (seeded) until the load ends: kill -9 a random one of the three silos, start it again on its
    /// ports and wait until it is ready.</summary>
    static async Task KillAsync(TraceRun run, Random random, Stopwatch load, TimeSpan duration, List<Kill> kills, CancellationToken cancellationToken)
    {
        var slots = run.Silos.ToList();
        var next = TimeSpan.FromSeconds(20 + random.NextDouble() * 10);
        while (next < duration)
        {
            var due = next - load.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
            var slot = random.Next(slots.Count);
            var target = slots[slot];
            var running = run.Runs().Count(r => r.Silo == target && r.Ended is null);
            target.Kill();
            var kill = new Kill(kills.Count + 1, target, target.EndedAt!.Value, load.Elapsed);
            lock (kills) kills.Add(kill);
            run.Say($"kill {kill.Number}: silo {target.SiloPort} (pid {target.Pid}) killed -9 with {running} run(s) going; starting it again");
            try
            {
                slots[slot] = await run.RestartSiloAsync(target, TimeSpan.FromSeconds(90));
                kill.ReadyAfter = DateTimeOffset.UtcNow - kill.At;
                run.Say($"kill {kill.Number}: silo {target.SiloPort} ready again (pid {slots[slot].Pid}) after {kill.ReadyAfter.Value.TotalSeconds:0.0} s");
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                kill.RestartError = e.Message.Split('\n')[0];
                run.Say($"kill {kill.Number}: silo {target.SiloPort} did not come back: {e.Message}");
                return; // the checks report it; the load goes on with the silos left
            }
            next = kill.Elapsed + TimeSpan.FromSeconds(20 + random.NextDouble() * 10);
        }
    }

    static async Task SubmitAsync(TraceRun run, Submission submission, CancellationToken cancellationToken)
    {
        try
        {
            await run.Client.SubmitAsync(submission.Spec, submission.Id, cancellationToken: cancellationToken);
            submission.AckedAt = DateTimeOffset.UtcNow;
        }
        catch (Exception e)
        {
            submission.Error = e; // not acknowledged: not owed an ending (the stuck check still covers it if it exists)
        }
    }

    /// <summary>The SDK's status of each job, 32 calls at a time.</summary>
    static async Task<Dictionary<string, JobStatus?>> StatusesAsync(TraceRun run, IReadOnlyList<Submission> jobs, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<string, JobStatus?>();
        foreach (var chunk in jobs.Chunk(32))
        {
            var got = await Task.WhenAll(chunk.Select(async s =>
            {
                try { return await run.Client.GetAsync(s.Id, cancellationToken); }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested) { return null; }
            }));
            for (var i = 0; i < chunk.Length; i++) statuses[chunk[i].Id] = got[i];
        }
        return statuses;
    }

    /// <summary>The longest time without an acknowledgment between <paramref name="from"/> and <paramref name="to"/>.</summary>
    static TimeSpan LongestGap(IReadOnlyList<DateTimeOffset> acks, DateTimeOffset from, DateTimeOffset to)
    {
        var longest = TimeSpan.Zero;
        var previous = from;
        foreach (var at in acks.Where(a => a > from && a <= to).Append(to))
        {
            if (at - previous > longest) longest = at - previous;
            previous = at;
        }
        return longest;
    }

    /// <summary>Everything known about one job, for a failure report: its SDK status, its history row, its runs, and
    /// every silo log line that names it.</summary>
    static void Evidence(TraceRun run, string id, Dictionary<string, JobStatus?> statuses, Dictionary<string, TraceRun.HistoryRow> history,
        ILookup<string, TraceRun.ExecutorRun> byJob, List<Kill> kills)
    {
        var lines = run.Silos.SelectMany(s => s.Lines.Where(l => l.Contains(id, StringComparison.Ordinal)).Select(l => $"[{s.SiloPort}/{s.Pid}] {l}"))
            .OrderBy(l => l[(l.IndexOf(']') + 2)..], StringComparer.Ordinal).Take(40);
        // What else the silos said (information and above) from a second before its first run to a second after its last.
        var mine = byJob[id].ToList();
        var around = mine.Count == 0 ? [] : run.Silos
            .SelectMany(s => s.Lines.Where(l => !l.Contains("dbug:") && !l.Contains("Polly[")).Select(l => (Silo: s, Line: l, At: LogTime(l))))
            .Where(x => x.At is { } at && at >= mine.Min(r => r.Started).AddSeconds(-1) && at <= mine.Max(r => r.Ended ?? r.Started).AddSeconds(1))
            .OrderBy(x => x.At).Take(25).Select(x => $"[{x.Silo.SiloPort}/{x.Silo.Pid}] {(x.Line.Length > 400 ? x.Line[..400] + " …" : x.Line)}").ToList();
        run.Say($"--- {id} ---\n  SDK: {Describe(statuses.GetValueOrDefault(id))}\n  history: {Describe(history.GetValueOrDefault(id))}\n" +
                $"  runs: {string.Join("; ", mine.OrderBy(r => r.Started).Select(Describe))}\n" +
                $"  kills: {string.Join("; ", kills.Select(k => $"{k.Silo} at {k.At:O}"))}\n  log lines naming it:\n    {string.Join("\n    ", lines)}\n" +
                $"  other log lines around its runs:\n    {string.Join("\n    ", around)}");
    }

    static string Describe(JobStatus? s) => s is null ? "(no answer)"
        : $"{s.State}, attempt {s.Attempts}, worker {s.Worker ?? "-"}, submitted {s.SubmittedAt:O}, dispatched {s.DispatchedAt:O}, started {s.StartedAt:O}, " +
          $"completed {s.CompletedAt:O}{(s.Reason is null ? "" : $", reason {s.Reason}")}";

    static string Describe(TraceRun.HistoryRow? h) => h is null ? "(no row)"
        : $"{h.Job} {h.State}, attempts {h.Attempts}, worker {h.Worker ?? "-"}, submitted {h.SubmittedAt:O}, dispatched {h.DispatchedAt:O}, " +
          $"started {h.StartedAt:O}, completed {h.CompletedAt:O}{(h.Reason is null ? "" : $", reason {h.Reason}")}";

    static string Describe(TraceRun.ExecutorRun r) =>
        $"{r.Job} attempt {r.Attempt} on {r.Worker ?? "?"} in {r.Silo} {r.Started:HH:mm:ss.fff}-{(r.Ended is { } e ? $"{e:HH:mm:ss.fff} {r.How}" : r.Silo.EndedAt is { } k ? $"(silo killed {k:HH:mm:ss.fff})" : "(open)")}";

    static DateTimeOffset? LogTime(string line) =>
        line.Length > 20 && line.IndexOf("+00:00", StringComparison.Ordinal) is > 0 and var end
        && DateTimeOffset.TryParse(line[..(end + 6)], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;

    static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.0} s" : "-";

    static string Verdict(int failures) => failures == 0 ? "PASS" : $"FAIL ({failures})";

    static double Setting(string name, double fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
            : fallback;
}
