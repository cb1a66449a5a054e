using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SynergAI.Client;
using SynergAI.Grains;
using Xunit.Abstractions;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// A cluster of silo processes on one PostgreSQL database running a trace of jobs submitted through the SDK, and the
/// evidence the fault tests judge it by: the jobs' final states, the job history table, and every executor run the
/// silos logged (start and end, with UTC timestamps).
/// </summary>
public sealed partial class TraceRun : IAsyncDisposable
{
    /// <summary>Real seconds per model second: a job (T_pre 20-35 s plus its queries) runs 1-2 s.</summary>
    public const double TimeScale = 0.05;

    readonly ITestOutputHelper _output;
    readonly string _testbed;
    readonly List<SiloProcess> _silos = [];
    IHost? _client;

    readonly string[] _siloArgs;

    TraceRun(string connectionString, string testbed, ITestOutputHelper output, string[] siloArgs)
    {
        ConnectionString = connectionString;
        _testbed = testbed;
        _output = output;
        _siloArgs = siloArgs;
    }

    public string ConnectionString { get; }
    /// <summary>Every silo process started, in order, those that ended (killed, stopped, replaced) included.</summary>
    public IReadOnlyList<SiloProcess> Silos
    {
        get { lock (_silos) return [.. _silos]; }
    }
    public SynergAiClient Client => _client!.Services.GetRequiredService<SynergAiClient>();
    /// <summary>The SDK client's grains (for what the SDK does not offer, e.g. a pool's quote).</summary>
    public IGrainFactory Grains => _client!.Services.GetRequiredService<IClusterClient>();
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>A new database, a 12-worker testbed (the reference x86, AGX and NX boards four times each, or
    /// <paramref name="copies"/> times) and <paramref name="silos"/> silos, ready, with an SDK client that finds them
    /// through the membership table. <paramref name="siloArgs"/>: more settings for every silo started.</summary>
    public static async Task<TraceRun> StartAsync(PostgresServer server, int silos, ITestOutputHelper output, int copies = 4,
        params string[] siloArgs)
    {
        var run = new TraceRun(await server.CreateDatabaseAsync(), WriteTestbed(copies), output, siloArgs);
        await run.StartSilosAsync(silos);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSynergAiClient(o => o.PostgresConnectionString = run.ConnectionString);
        run._client = builder.Build();
        await run._client.StartAsync();
        return run;
    }

    public async Task StartSilosAsync(int count)
    {
        var started = Enumerable.Range(0, count).Select(_ => SiloProcess.Start(ConnectionString,
            [$"--SynergAI:Testbed={_testbed}", $"--SynergAI:TimeScale={TimeScale.ToString(CultureInfo.InvariantCulture)}",
             "--Logging:LogLevel:SynergAI.Grains.Execution=Debug", .. _siloArgs])).ToList();
        lock (_silos) _silos.AddRange(started);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await Task.WhenAll(started.Select(s => s.WaitUntilReadyAsync(timeout.Token)));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            DumpSilos();
            throw new TimeoutException($"{started.Count(s => !s.HasExited)} silo(s) not ready after 90 s (their output above)");
        }
        Say($"{count} silo(s) ready");
    }

    /// <summary>Starts <paramref name="ended"/> again on the same ports and settings, as a restarted container, and
    /// waits until it is ready (a new process that exits at once, e.g. a port not yet free, is started again).</summary>
    public async Task<SiloProcess> RestartSiloAsync(SiloProcess ended, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        for (var attempt = 1; ; attempt++)
        {
            var silo = ended.StartAgain();
            lock (_silos) _silos.Add(silo);
            try
            {
                await silo.WaitUntilReadyAsync(cancel.Token);
                return silo;
            }
            catch (InvalidOperationException) when (attempt < 3 && silo.HasExited && !cancel.IsCancellationRequested)
            {
                Say($"restart of silo {ended.SiloPort} exited at once: {string.Join(" | ", silo.Lines.TakeLast(3))}");
                await Task.Delay(TimeSpan.FromSeconds(1), cancel.Token);
                ended = silo;
            }
        }
    }

    public void Say(string line) => _output.WriteLine($"[{Clock.Elapsed.TotalSeconds,6:0.0} s] {line}");

    // ---- the trace ----

    public sealed record TracedJob(string Id, JobSpec Spec, double ArrivalSeconds);

    /// <summary><paramref name="jobs"/> jobs over the reference engines, 100-600 queries, arriving 0.75 model seconds
    /// apart on average (seeded). Deadlines are generous: these tests judge what survives, not QoS.</summary>
    public static IReadOnlyList<TracedJob> Trace(int jobs, int seed, string prefix)
    {
        var engines = Engines();
        var random = new Random(seed);
        var at = 0.0;
        return [.. Enumerable.Range(1, jobs).Select(i =>
        {
            at += random.NextDouble() * 1.5;
            return new TracedJob($"{prefix}-{i:000}", new JobSpec(engines[random.Next(engines.Count)], random.Next(100, 601), 1e6), at);
        })];
    }

    /// <summary>The reference testbed's engines, in order.</summary>
    public static IReadOnlyList<string> Engines() =>
        [.. File.ReadLines(Path.Combine(Reference, "profile.csv")).Skip(1).Select(l => l.Split(',')[1]).Distinct().Order()];

    /// <summary>Submits the trace at its arrival times (model seconds × time scale); the SDK retries through outages.</summary>
    public async Task SubmitAsync(IReadOnlyList<TracedJob> trace, CancellationToken cancellationToken)
    {
        var start = Stopwatch.StartNew();
        foreach (var job in trace)
        {
            var due = TimeSpan.FromSeconds(job.ArrivalSeconds * TimeScale) - start.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
            await Client.SubmitAsync(job.Spec, job.Id, cancellationToken: cancellationToken);
        }
        Say($"{trace.Count} jobs submitted");
    }

    /// <summary>Polls until every job is finished; the final statuses.</summary>
    public async Task<IReadOnlyList<JobStatus>> WaitForAllAsync(IReadOnlyList<TracedJob> trace, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var statuses = await Task.WhenAll(trace.Select(j => Client.GetAsync(j.Id, cancel.Token)));
            var open = statuses.Count(s => s is null || !s.IsFinished);
            if (open == 0) return statuses!;
            try { await Task.Delay(500, cancel.Token); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{open} of {trace.Count} jobs not finished after {timeout}: " +
                    string.Join(", ", statuses.Where(s => s is null || !s.IsFinished).Take(10).Select(s => s is null ? "(missing)" : $"{s.Id} {s.State}")));
            }
        }
    }

    /// <summary>The silo that hosts the pool's coordinator: the last to log its activation.</summary>
    public SiloProcess? CoordinatorHost() =>
        Silos.Where(s => !s.HasExited)
            .Select(s => (Silo: s, At: s.Lines.Where(l => l.Contains("pool default activated")).Select(Timestamp).LastOrDefault()))
            .Where(x => x.At is not null).OrderBy(x => x.At).Select(x => x.Silo).LastOrDefault();

    // ---- the evidence ----

    /// <summary>One executor run as the silos logged it, on <see cref="Worker"/>; <see cref="Ended"/> is null if the silo
    /// died or stopped first (or the run is still going).</summary>
    public sealed record ExecutorRun(string Job, int Attempt, SiloProcess Silo, DateTimeOffset Started, DateTimeOffset? Ended, string? How,
        string? Worker = null)
    {
        /// <summary>When the run stopped at the latest: its end line, or its silo's end.</summary>
        public DateTimeOffset StoppedBy => Ended ?? Silo.EndedAt ?? DateTimeOffset.MaxValue;
    }

    public IReadOnlyList<ExecutorRun> Runs()
    {
        var runs = new List<ExecutorRun>();
        foreach (var silo in Silos)
        {
            var open = new Dictionary<(string, int), (DateTimeOffset At, int Index)>();
            foreach (var line in silo.Lines)
            {
                if (RunLine().Match(line) is not { Success: true } m) continue;
                var key = (m.Groups["job"].Value, int.Parse(m.Groups["attempt"].Value, CultureInfo.InvariantCulture));
                var at = DateTimeOffset.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture);
                if (m.Groups["what"].Value == "started")
                {
                    open[key] = (at, runs.Count);
                    runs.Add(new ExecutorRun(key.Item1, key.Item2, silo, at, null, null, m.Groups["worker"] is { Success: true } w ? w.Value : null));
                }
                else if (open.Remove(key, out var start))
                    runs[start.Index] = runs[start.Index] with { Ended = at, How = m.Groups["how"].Value };
            }
        }
        return runs;
    }

    /// <summary>What every fault test demands: each job Completed (its grain and its one history row) and its runs
    /// never overlapping. Answers how many successful runs were repeated.</summary>
    public async Task<int> AssertEveryJobCompletedOnceAsync(IReadOnlyList<TracedJob> trace, IReadOnlyList<JobStatus> statuses,
        IReadOnlyList<ExecutorRun> runs)
    {
        Assert.All(statuses, s => Assert.True(s.State == JobState.Completed, $"{s.Id}: {s.State} ({s.Reason})"));
        var repeated = AssertRanWithoutOverlap(trace, runs, statuses.ToDictionary(s => s.Id));
        Assert.Equal(new Dictionary<string, long> { ["Completed"] = trace.Count }, await HistoryStatesAsync());
        return repeated;
    }

    /// <summary>Every job ran to success at least once and no two runs of one job overlapped in time. Answers how many
    /// successful runs were repeated: a run can succeed and die with its silo before the success is recorded, and
    /// then the job runs again (at-least-once execution; the job still completes once).</summary>
    public static int AssertRanWithoutOverlap(IReadOnlyList<TracedJob> trace, IReadOnlyList<ExecutorRun> runs,
        IReadOnlyDictionary<string, JobStatus> statuses)
    {
        var byJob = runs.ToLookup(r => r.Job);
        var repeated = 0;
        foreach (var job in trace)
        {
            var mine = byJob[job.Id].OrderBy(r => r.Started).ToList();
            var succeeded = mine.Count(r => Succeeded(r, statuses.GetValueOrDefault(job.Id)));
            Assert.True(succeeded >= 1, $"{job.Id}: no successful run: {string.Join("; ", mine)}");
            repeated += succeeded - 1;
            foreach (var (earlier, later) in Overlaps(mine, r => r.Job))
                Assert.Fail($"{job.Id}: attempt {later.Attempt} started {later.Started:O} before attempt {earlier.Attempt} stopped ({earlier.StoppedBy:O}); " +
                    $"runs: {string.Join("; ", mine.Select(r => $"attempt {r.Attempt} on {r.Worker} in silo {r.Silo.SiloPort} {r.Started:HH:mm:ss.fff}-{r.Ended:HH:mm:ss.fff} {r.How ?? "(no end)"}"))}" +
                    $"\nits lines:\n{string.Join('\n', mine.Select(r => r.Silo).Distinct().Concat(runs.Select(r => r.Silo).Distinct()).Distinct().SelectMany(s => s.Lines.Where(l => l.Contains(job.Id + " ") || l.Contains(job.Id + ",") || l.EndsWith(job.Id)).Select(l => $"[{s.SiloPort}] {l}")))}");
        }
        return repeated;
    }

    /// <summary>Whether a run succeeded: its end line says so, or its silo was killed before it logged an end (lines
    /// still queued for the console die with a killed process) and the job completed by this very attempt.</summary>
    public static bool Succeeded(ExecutorRun run, JobStatus? final) => run.How == "succeeded"
        || run.Ended is null && run.Silo.EndedAt is not null
           && final is { State: JobState.Completed } && final.Attempts == run.Attempt && final.Worker == run.Worker;

    /// <summary>Runs that overlap in time within a group (<paramref name="key"/>: a job's runs, a worker's runs): each
    /// run that started before an earlier-started run of its group had stopped, with that run.</summary>
    public static IEnumerable<(ExecutorRun Earlier, ExecutorRun Later)> Overlaps(IEnumerable<ExecutorRun> runs, Func<ExecutorRun, string?> key)
    {
        foreach (var group in runs.Where(r => key(r) is not null).GroupBy(key))
        {
            ExecutorRun? latest = null; // of the runs started so far, the one that stopped last
            foreach (var run in group.OrderBy(r => r.Started))
            {
                if (latest is not null && run.Started < latest.StoppedBy) yield return (latest, run);
                if (latest is null || run.StoppedBy > latest.StoppedBy) latest = run;
            }
        }
    }

    /// <summary>The job history table's row count per state.</summary>
    public async Task<Dictionary<string, long>> HistoryStatesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT state, count(*) FROM synergai_job_history GROUP BY state", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var states = new Dictionary<string, long>();
        while (await reader.ReadAsync()) states[reader.GetString(0)] = reader.GetInt64(1);
        return states;
    }

    /// <summary>One row of the job history table.</summary>
    public sealed record HistoryRow(string Job, string State, string? Worker, int Attempts, DateTimeOffset SubmittedAt,
        DateTimeOffset? DispatchedAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? Reason);

    /// <summary>The job history table's rows by job.</summary>
    public async Task<Dictionary<string, HistoryRow>> HistoryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT job, state, worker, attempts, submitted_at, dispatched_at, started_at, completed_at, reason FROM synergai_job_history", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, HistoryRow>();
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
        while (await reader.ReadAsync(cancellationToken))
            rows[reader.GetString(0)] = new HistoryRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4), At(5), At(6), At(7), reader.IsDBNull(8) ? null : reader.GetString(8));
        return rows;
    }

    /// <summary>Every stored grain state as (grain type, key, version): what a rejected request must leave unchanged.</summary>
    public async Task<List<(string Type, string? Key, int Version)>> StoredStatesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT graintypestring, grainidextensionstring, version FROM orleansstorage ORDER BY 1, 2", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string?, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2)));
        return rows;
    }

    /// <summary>A second, independent SDK client on the same cluster (another process would see the same).</summary>
    public async Task<IHost> StartAnotherClientAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSynergAiClient(o => o.PostgresConnectionString = ConnectionString);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>The membership table's rows as (silo port, status): 3 active, 6 dead.</summary>
    public async Task<List<(int Port, int Status)>> MembershipAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT port, status FROM orleansmembershiptable ORDER BY port", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt32(0), reader.GetInt32(1)));
        return rows;
    }

    /// <summary>Polls the membership table until the silo on <paramref name="siloPort"/> is declared dead (status 6).</summary>
    public async Task<DateTimeOffset> WaitUntilDeclaredDeadAsync(int siloPort, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancel.Token);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT status FROM orleansmembershiptable WHERE port = @port ORDER BY generation DESC LIMIT 1", connection);
            command.Parameters.AddWithValue("port", siloPort);
            if (await command.ExecuteScalarAsync(cancel.Token) is int status && status == 6) return DateTimeOffset.UtcNow;
            await Task.Delay(50, cancel.Token);
        }
    }

    static DateTimeOffset? Timestamp(string line) =>
        LogTime().Match(line) is { Success: true } m ? DateTimeOffset.Parse(m.Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)")]
    private static partial Regex LogTime();

    [GeneratedRegex(@"^(?<at>\S+?)dbug: \S+\[\d+\] run (?<what>started|ended): (?<job>\S+) attempt (?<attempt>\d+)(?: on (?<worker>\S+))?(?: (?<how>succeeded|cancelled))?")]
    private static partial Regex RunLine();

    internal static string Reference => Path.Combine(SiloProcessTests.RepositoryRoot(), "Scheduling", "Testbeds", "reference");

    /// <summary>The reference testbed with each worker <paramref name="copies"/> times (x86-1, agx-1, nx-1, x86-2 …).</summary>
    static string WriteTestbed(int copies)
    {
        var folder = Directory.CreateTempSubdirectory("synergai-testbed-").FullName;
        var workers = File.ReadAllLines(Path.Combine(Reference, "workers.csv"));
        var profile = File.ReadAllLines(Path.Combine(Reference, "profile.csv"));
        IEnumerable<string> Copies(string[] lines) => lines.Skip(1).SelectMany(l =>
            Enumerable.Range(1, copies).Select(c => { var i = l.IndexOf(','); return $"{l[..i]}-{c}{l[i..]}"; }));
        File.WriteAllLines(Path.Combine(folder, "workers.csv"), [workers[0], .. Enumerable.Range(1, copies)
            .SelectMany(c => workers.Skip(1).Select(l => { var i = l.IndexOf(','); return $"{l[..i]}-{c}{l[i..]}"; }))]);
        File.WriteAllLines(Path.Combine(folder, "profile.csv"), [profile[0], .. Copies(profile)]);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception e) { _output.WriteLine($"client stop: {e.Message}"); }
            _client.Dispose();
        }
        foreach (var silo in Silos) silo.Dispose();
        // For a look at a passing run: every silo's whole output, in the folder this names.
        if (Environment.GetEnvironmentVariable("SYNERGAI_TEST_SILO_LOGS") is { Length: > 0 } folder)
            foreach (var silo in Silos)
                File.WriteAllLines(Path.Combine(folder, $"silo-{silo.SiloPort}-{silo.Pid}.log"), silo.Lines);
        try { Directory.Delete(_testbed, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every silo's output, for a failed test's log.</summary>
    public void DumpSilos()
    {
        foreach (var silo in Silos)
            _output.WriteLine($"--- silo {silo.SiloPort} (pid {silo.Pid}) ---\n{string.Join('\n', silo.Lines.Where(l => !l.Contains("dbug:") && !l.Contains("HealthChecks")).TakeLast(60))}");
    }
}
