using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Spectre.Console;
using SynergAI.Grains;

namespace SynergAI.Cli.Commands;

/// <summary>Jobs and workers as tables (people), CSV and JSON (tools). The CSV and JSON names are a stable interface.</summary>
internal static class StatusOutput
{
    public static readonly string[] JobColumns =
        ["job", "state", "engine", "queries", "qos_s", "worker", "config", "submitted_at", "started_at", "completed_at", "violated", "attempts",
         "position", "wait_code", "reason", "predicted_worker", "predicted_config", "predicted_start_at", "predicted_finish_at", "predicted_meets_deadline"];

    public static readonly string[] WorkerColumns =
        ["worker", "pool", "arch", "cpus", "memory_gb", "default_config", "condition", "running_job", "running_attempt", "running_config",
         "last_free_at", "last_heartbeat", "engines"];

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string State(JobState state) => state.ToString().ToLowerInvariant();

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("o", CultureInfo.InvariantCulture) : "";

    static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    static string Bool(bool? value) => value is { } b ? (b ? "true" : "false") : "";

    /// <summary>The outcome of a finished job in one line, e.g.
    /// <c>job-1 completed on x86 (threads=16), e2e 41.2 s of qos 50 s, violated false</c>.</summary>
    public static string OutcomeLine(JobStatus s)
    {
        var e2e = s.ModelSecondsSinceSubmission(s.CompletedAt);
        var where = s.Worker is null ? "" : $" on {s.Worker} ({s.Config})";
        var timing = e2e is { } t ? $", e2e {t:0.###} s of qos {Number(s.Spec.QosSeconds)} s" : "";
        var reason = s.State is JobState.Failed or JobState.Cancelled && s.Reason is { } r ? $": {r}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{s.Id} {State(s.State)}{where}{timing}, violated {Bool(s.Violated) switch { "" => "unknown", var v => v }}{reason}");
    }

    // ---- jobs ----

    /// <summary>E.g. <c>2007 jobs: 5 queued, 2 running, 1990 completed (12 violated), 10 failed; showing 1-50
    /// (--skip, --limit)</c>: counts over every job listed (those in <paramref name="states"/>, when given), then which
    /// rows were shown.</summary>
    public static string SummaryLine(IReadOnlyList<JobStatus> listed, IReadOnlyCollection<JobState> states, int skipped, int shown)
    {
        var counts = listed.GroupBy(j => j.State).OrderBy(g => g.Key).Select(g =>
            g.Key == JobState.Completed ? $"{g.Count()} completed ({g.Count(j => j.Violated == true)} violated)" : $"{g.Count()} {State(g.Key)}");
        var which = states.Count == 0 ? "jobs" : $"jobs in state {string.Join(" or ", states.Order().Select(State))}";
        var line = listed.Count == 0 ? $"0 {which}" : $"{listed.Count} {which}: {string.Join(", ", counts)}";
        if (shown < listed.Count)
            line += shown == 0 ? $"; showing none of {listed.Count}" : $"; showing {skipped + 1}-{skipped + shown} of {listed.Count} (--skip, --limit)";
        return line;
    }

    /// <summary>Jobs with, for each waiting one, its place in <paramref name="forecast"/> (null: none is waiting).</summary>
    public static void WriteJobs(CliIo io, string format, IReadOnlyList<JobStatus> jobs, bool single, QueueForecast? forecast = null)
    {
        var waiting = (forecast?.Jobs ?? []).ToDictionary(f => f.Job, StringComparer.Ordinal);
        WaitingJobForecast? Wait(JobStatus s) => s.State == JobState.Queued ? waiting.GetValueOrDefault(s.Id) : null;
        switch (format)
        {
            case "csv": WriteJobsCsv(io.Out, jobs, Wait, forecast); break;
            case "json":
                io.Out.WriteLine(single ? JsonSerializer.Serialize(JobJson(jobs[0], Wait(jobs[0]), forecast), Json)
                    : JsonSerializer.Serialize(jobs.Select(j => JobJson(j, Wait(j), forecast)), Json));
                break;
            default:
                if (single) WriteJobDetail(io.Tables, jobs[0], Wait(jobs[0]), forecast);
                else WriteJobTable(io.Tables, jobs, Wait, forecast);
                break;
        }
    }

    /// <summary>What a finished job's reason or a waiting job's wait reason says, in words.</summary>
    static string? Reason(JobStatus s, WaitingJobForecast? wait) => wait?.WaitReason ?? s.Reason;

    static void WriteJobsCsv(TextWriter output, IEnumerable<JobStatus> jobs, Func<JobStatus, WaitingJobForecast?> waitOf, QueueForecast? forecast)
    {
        using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in JobColumns) csv.WriteField(column);
        csv.NextRecord();
        foreach (var s in jobs)
        {
            csv.WriteField(s.Id);
            csv.WriteField(State(s.State));
            csv.WriteField(s.Spec.Engine);
            csv.WriteField(s.Spec.Queries);
            csv.WriteField(Number(s.Spec.QosSeconds));
            csv.WriteField(s.Worker ?? "");
            csv.WriteField(s.Config ?? "");
            csv.WriteField(Time(s.SubmittedAt));
            csv.WriteField(Time(s.StartedAt));
            csv.WriteField(Time(s.CompletedAt));
            csv.WriteField(Bool(s.Violated));
            csv.WriteField(s.Attempts);
            var wait = waitOf(s);
            csv.WriteField(wait?.Position.ToString(CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(wait?.WaitCode ?? "");
            csv.WriteField(Reason(s, wait) ?? "");
            csv.WriteField(wait?.Worker ?? "");
            csv.WriteField(wait?.Config ?? "");
            csv.WriteField(Time(forecast?.At(wait?.StartsInSeconds)));
            csv.WriteField(Time(forecast?.At(wait?.FinishesInSeconds)));
            csv.WriteField(Bool(wait?.MeetsDeadline));
            csv.NextRecord();
        }
    }

    static Dictionary<string, object?> JobJson(JobStatus s, WaitingJobForecast? wait, QueueForecast? forecast) => new()
    {
        ["job"] = s.Id,
        ["pool"] = s.Pool,
        ["state"] = State(s.State),
        ["engine"] = s.Spec.Engine,
        ["queries"] = s.Spec.Queries,
        ["qos_s"] = s.Spec.QosSeconds,
        ["worker"] = s.Worker,
        ["config"] = s.Config,
        ["submitted_at"] = Time(s.SubmittedAt),
        ["dispatched_at"] = NullIfEmpty(Time(s.DispatchedAt)),
        ["started_at"] = NullIfEmpty(Time(s.StartedAt)),
        ["completed_at"] = NullIfEmpty(Time(s.CompletedAt)),
        ["violated"] = s.Violated,
        ["excess_s"] = s.ExcessSeconds,
        ["attempts"] = s.Attempts,
        ["time_scale"] = s.TimeScale,
        ["reason"] = Reason(s, wait),
        ["wait"] = wait is null ? null : new Dictionary<string, object?>
        {
            ["position"] = wait.Position,
            ["code"] = wait.WaitCode,
            ["predicted_worker"] = wait.Worker,
            ["predicted_config"] = wait.Config,
            ["predicted_start_at"] = NullIfEmpty(Time(forecast!.At(wait.StartsInSeconds))),
            ["predicted_finish_at"] = NullIfEmpty(Time(forecast.At(wait.FinishesInSeconds))),
            ["predicted_meets_deadline"] = wait.MeetsDeadline,
        },
    };

    static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    static void WriteJobTable(IAnsiConsole console, IReadOnlyList<JobStatus> jobs, Func<JobStatus, WaitingJobForecast?> waitOf, QueueForecast? forecast)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("job", "state", "engine")
            .AddColumn(new TableColumn("queries").RightAligned()).AddColumn(new TableColumn("qos s").RightAligned())
            .AddColumns("worker", "config", "submitted (UTC)")
            .AddColumn(new TableColumn("wait s").RightAligned()).AddColumn(new TableColumn("e2e s").RightAligned())
            .AddColumn("violated").AddColumn(new TableColumn("attempts").RightAligned()).AddColumn("waits because");
        foreach (var s in jobs)
        {
            // A waiting job shows the forecast: "~" marks predicted times and outcome, the worker it is expected on in brackets.
            var wait = waitOf(s);
            table.AddRow(Markup.Escape(s.Id), State(s.State), Markup.Escape(s.Spec.Engine), s.Spec.Queries.ToString(CultureInfo.InvariantCulture),
                Number(s.Spec.QosSeconds), Markup.Escape(wait?.Worker is { } w ? $"[{w}]" : s.Worker ?? ""),
                Markup.Escape(wait?.Config is { } c ? $"[{c}]" : s.Config ?? ""),
                s.SubmittedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Predicted(s, s.StartedAt, wait?.StartsInSeconds, forecast), Predicted(s, s.CompletedAt, wait?.FinishesInSeconds, forecast),
                wait?.MeetsDeadline is { } meets ? "~" + Bool(!meets) : Bool(s.Violated), s.Attempts.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(wait is null ? "" : $"#{wait.Position} {wait.WaitCode}"));
        }
        console.Write(table);
        if (jobs.Count == 0) console.WriteLine("(no jobs)");
    }

    static string ModelSeconds(JobStatus s, DateTimeOffset? at) => s.ModelSecondsSinceSubmission(at) is { } t ? t.ToString("0.0", CultureInfo.InvariantCulture) : "";

    /// <summary>Model seconds from submission to <paramref name="at"/>, or to the forecast's time (marked "~").</summary>
    static string Predicted(JobStatus s, DateTimeOffset? at, double? inSeconds, QueueForecast? forecast) =>
        at is not null ? ModelSeconds(s, at) : forecast?.At(inSeconds) is { } predicted ? "~" + ModelSeconds(s, predicted) : "";

    static void WriteJobDetail(IAnsiConsole console, JobStatus s, WaitingJobForecast? wait, QueueForecast? forecast)
    {
        var table = new Table().Border(TableBorder.Simple).HideHeaders().AddColumns("field", "value");
        void Row(string field, string? value) => table.AddRow(field, Markup.Escape(value ?? ""));
        Row("job", s.Id);
        Row("pool", s.Pool);
        Row("state", State(s.State));
        Row("engine", s.Spec.Engine);
        Row("queries", s.Spec.Queries.ToString(CultureInfo.InvariantCulture));
        Row("qos s", Number(s.Spec.QosSeconds));
        Row("worker", s.Worker);
        Row("config", s.Config);
        Row("attempts", s.Attempts.ToString(CultureInfo.InvariantCulture));
        Row("submitted at", Time(s.SubmittedAt));
        Row("dispatched at", Time(s.DispatchedAt));
        Row("started at", Time(s.StartedAt));
        Row("completed at", Time(s.CompletedAt));
        Row("wait s (model)", ModelSeconds(s, s.StartedAt));
        Row("e2e s (model)", ModelSeconds(s, s.CompletedAt));
        Row("violated", Bool(s.Violated));
        Row("excess s", s.ExcessSeconds is { } x ? Number(x) : "");
        Row("time scale", Number(s.TimeScale));
        if (s.BestEffort) Row("admitted", "best-effort: its forecast missed its deadline, so it runs only where no other job was placed");
        if (wait is not null)
        {
            Row("queue position", wait.Position.ToString(CultureInfo.InvariantCulture));
            Row("wait code", wait.WaitCode);
            Row("predicted worker", wait.Worker is null ? null : $"{wait.Worker} ({wait.Config})");
            Row("predicted start", Time(forecast!.At(wait.StartsInSeconds)));
            Row("predicted finish", Time(forecast.At(wait.FinishesInSeconds)));
            Row("predicted e2e s (model)", ModelSeconds(s, forecast.At(wait.FinishesInSeconds)));
            Row("meets deadline", Bool(wait.MeetsDeadline));
        }
        Row("reason", Reason(s, wait));
        console.Write(table);
    }

    // ---- workers ----

    public static void WriteWorkers(CliIo io, string format, IReadOnlyList<WorkerStatus> workers)
    {
        switch (format)
        {
            case "csv": WriteWorkersCsv(io.Out, workers); break;
            case "json": io.Out.WriteLine(JsonSerializer.Serialize(workers.Select(WorkerJson), Json)); break;
            default: WriteWorkerTable(io.Tables, workers); break;
        }
    }

    static string Engines(WorkerStatus w) => string.Join(' ', w.Dictionary.Select(d => d.Engine));

    static void WriteWorkersCsv(TextWriter output, IEnumerable<WorkerStatus> workers)
    {
        using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in WorkerColumns) csv.WriteField(column);
        csv.NextRecord();
        foreach (var w in workers)
        {
            csv.WriteField(w.Name);
            csv.WriteField(w.Pool ?? "");
            csv.WriteField(w.Spec?.Arch ?? "");
            csv.WriteField(w.Spec?.Cpus.ToString(CultureInfo.InvariantCulture) ?? "");
            csv.WriteField(w.Spec is { } spec ? Number(spec.MemoryGb) : "");
            csv.WriteField(w.Spec?.DefaultConfig ?? "");
            csv.WriteField(w.Condition.ToString().ToLowerInvariant());
            csv.WriteField(w.RunningJob ?? "");
            csv.WriteField(w.RunningJob is null ? "" : w.RunningAttempt.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(w.RunningConfig ?? "");
            csv.WriteField(Time(w.LastFreeAt));
            csv.WriteField(Time(w.LastHeartbeat));
            csv.WriteField(Engines(w));
            csv.NextRecord();
        }
    }

    static Dictionary<string, object?> WorkerJson(WorkerStatus w) => new()
    {
        ["worker"] = w.Name,
        ["pool"] = w.Pool,
        ["arch"] = w.Spec?.Arch,
        ["cpus"] = w.Spec?.Cpus,
        ["memory_gb"] = w.Spec?.MemoryGb,
        ["default_config"] = w.Spec?.DefaultConfig,
        ["condition"] = w.Condition.ToString().ToLowerInvariant(),
        ["running_job"] = w.RunningJob,
        ["running_attempt"] = w.RunningJob is null ? null : w.RunningAttempt,
        ["running_config"] = w.RunningConfig,
        ["last_free_at"] = NullIfEmpty(Time(w.LastFreeAt)),
        ["last_heartbeat"] = NullIfEmpty(Time(w.LastHeartbeat)),
        ["drifted"] = w.DriftFactor is not null,
        ["drift_factor"] = w.DriftFactor,
        ["dictionary"] = w.Dictionary.Select(d => new Dictionary<string, object>
        {
            ["engine"] = d.Engine, ["config"] = d.Config, ["qps"] = d.Qps, ["preprocess_s"] = d.PreprocessSeconds,
        }).ToList(),
    };

    /// <summary>The table's drift cell: "flagged 1.52×" when the worker is flagged as drifted, else empty.</summary>
    static string Drift(WorkerStatus w) => w.DriftFactor is { } f ? $"flagged {Number(f)}×" : "";

    static void WriteWorkerTable(IAnsiConsole console, IReadOnlyList<WorkerStatus> workers)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("worker", "arch").AddColumn(new TableColumn("cpus").RightAligned()).AddColumn(new TableColumn("memory GB").RightAligned())
            .AddColumns("default config", "condition", "drift", "running job", "config", "last heartbeat (UTC)", "c* per engine (QPS)");
        foreach (var w in workers)
            table.AddRow(Markup.Escape(w.Name), Markup.Escape(w.Spec?.Arch ?? ""), w.Spec?.Cpus.ToString(CultureInfo.InvariantCulture) ?? "",
                w.Spec is { } spec ? Number(spec.MemoryGb) : "", Markup.Escape(w.Spec?.DefaultConfig ?? ""),
                w.Condition.ToString().ToLowerInvariant(), Drift(w), Markup.Escape(w.RunningJob ?? ""), Markup.Escape(w.RunningConfig ?? ""),
                w.LastHeartbeat?.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(string.Join('\n', w.Dictionary.OrderBy(d => d.Engine, StringComparer.Ordinal)
                    .Select(d => $"{d.Engine}: {d.Config} ({Number(d.Qps)})"))));
        console.Write(table);
        if (workers.Count == 0) console.WriteLine("(no workers)");
    }
}
