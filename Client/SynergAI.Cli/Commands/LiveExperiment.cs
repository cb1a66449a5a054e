using System.Diagnostics;
using System.Globalization;
using SynergAI.Cli.Output;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Simulation;

namespace SynergAI.Cli.Commands;

/// <summary>
/// <c>synergai experiment --live</c>: runs a trace through the real cluster, one policy after another, with the pool's
/// simulated executor, and reports the same metrics in the same columns as the offline simulator. Each job is submitted
/// at its arrival × time scale (real time from the run's start) and its times are turned back into trace seconds.
/// </summary>
internal static class LiveExperiment
{
    /// <param name="Quotes">Quote each job just before submitting it and print how well the quotes predicted the ends.</param>
    public sealed record Settings(string Pool, double TimeScale, double ReevaluationSeconds, bool Csv, string? JobsOut, bool Quotes = false);

    public static async Task<int> RunAsync(CliIo io, SynergAiClient client, IReadOnlyList<Job> trace, IReadOnlyList<string> policies,
        Settings settings, CancellationToken cancel)
    {
        if (trace.Count == 0) throw new ArgumentException("the trace has no jobs");
        var pool = settings.Pool;
        var status = await client.GetPoolAsync(pool, cancel);
        if (status.Workers.Count == 0) throw new ArgumentException($"pool '{pool}' has no workers; register some with 'synergai profile import DIR'");
        var unknown = trace.Select(j => j.Engine).Distinct(StringComparer.Ordinal).Except(status.Engines, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"no worker in pool '{pool}' can run engine(s) {string.Join(", ", unknown)} of the trace");
        if (status.Queue.Count > 0 || status.Running > 0)
            throw new ArgumentException($"pool '{pool}' has {status.Queue.Count} queued and {status.Running} running jobs; " +
                                        "a live experiment needs the pool to itself (wait, or cancel them)");

        var saved = status.Settings;
        var interval = TimeSpan.FromSeconds(Math.Max(0.010, settings.ReevaluationSeconds * settings.TimeScale));
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var span = trace[^1].ArrivalSeconds * settings.TimeScale;
        io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"live run {stamp}: {trace.Count} jobs × {policies.Count} policies on {status.Workers.Count} workers of pool '{pool}', time scale {settings.TimeScale:g4} (arrivals over {span:0.#} s real per policy), re-evaluation every {interval.TotalMilliseconds:0} ms"));

        var runs = new List<(string Policy, IReadOnlyList<JobOutcome> Outcomes)>();
        var submitted = new List<string>();
        try
        {
            foreach (var policy in policies)
            {
                await ConfigureWhenIdleAsync(client, pool, new PoolSettings(policy, settings.TimeScale, interval), cancel);
                var clock = Stopwatch.StartNew();
                var ids = new List<string>(trace.Count);
                var quoted = new Dictionary<string, double?>(StringComparer.Ordinal);
                foreach (var job in trace)
                {
                    var due = TimeSpan.FromSeconds(job.ArrivalSeconds * settings.TimeScale) - clock.Elapsed;
                    if (due > TimeSpan.Zero) await Task.Delay(due, cancel);
                    var id = $"live-{stamp}-{policy}-{job.Id}";
                    var spec = new JobSpec(job.Engine, job.Queries, job.QosSeconds);
                    if (settings.Quotes) quoted[job.Id] = (await client.QuoteAsync(spec, pool, cancel)).FinishesInSeconds;
                    submitted.Add(id);
                    ids.Add((await client.SubmitAsync(spec, id, pool, cancel)).Id);
                }
                var finals = await Task.WhenAll(ids.Select(id => client.WaitForCompletionAsync(id, cancel))); // pushed, not polled
                var outcomes = trace.Select((job, i) => Outcome(job, finals[i])).ToList();
                var failed = finals.Count(f => f.State != JobState.Completed);
                var metrics = RunMetrics.From(outcomes);
                var note = failed > 0 ? $"; {failed} did not complete (counted as violations)" : "";
                io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {policy}: {metrics.Violations} of {metrics.Jobs} violated, mean e2e {metrics.EndToEndMean:0.0} s ({clock.Elapsed.TotalSeconds:0.0} s real){note}"));
                if (settings.Quotes) io.Error.WriteLine($"  {policy}: {QuoteAccuracy.Of(outcomes, quoted)}");
                runs.Add((policy, outcomes));
            }
        }
        catch
        {
            await CancelAllAsync(io, client, submitted);
            throw;
        }
        finally
        {
            await RestoreAsync(io, client, pool, saved);
        }

        if (settings.JobsOut is { } jobsOut) CliIo.WriteFileAtomically(jobsOut, path => ResultFiles.WriteJobs(path, runs));
        var rows = runs.Select(r => (r.Policy, RunMetrics.From(r.Outcomes))).ToList();
        if (settings.Csv) ResultFiles.WriteRunMetrics(io.Out, rows);
        else ResultTables.WriteRunMetrics(io.Tables, rows);
        return 0;
    }

    /// <summary>A live job in trace seconds: its arrival plus the model seconds from submission to start and end. A job
    /// that did not complete counts as ending at its deadline plus one second (a violation) if it never finished.</summary>
    public static JobOutcome Outcome(Job job, JobStatus s)
    {
        double Trace(DateTimeOffset at) => job.ArrivalSeconds + (at - s.SubmittedAt).TotalSeconds / s.TimeScale;
        var started = s.StartedAt ?? s.DispatchedAt ?? s.CompletedAt;
        var completedAt = s.State == JobState.Completed ? s.CompletedAt : null;
        var completed = completedAt is { } c ? Trace(c) : Math.Max(job.DeadlineSeconds + 1, s.CompletedAt is { } end ? Trace(end) : 0);
        var startedSeconds = started is { } st ? Math.Min(Trace(st), completed) : completed;
        return new JobOutcome(job, s.Worker ?? "", s.Config ?? "", startedSeconds, completed,
            s.State == JobState.Completed ? s.Reason ?? "" : $"{StatusOutput.State(s.State)}: {s.Reason}");
    }

    /// <summary>Configures the pool, waiting a little for it to become idle: a finished job's worker may still be
    /// on its way back to the pool when the job already reports Completed.</summary>
    static async Task ConfigureWhenIdleAsync(SynergAiClient client, string pool, PoolSettings settings, CancellationToken cancel)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await client.ConfigurePoolAsync(pool, settings, cancel);
                return;
            }
            catch (InvalidOperationException e) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                _ = e;
                await Task.Delay(100, cancel);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException($"cannot configure pool '{pool}': {e.Message}", e);
            }
        }
    }

    static async Task CancelAllAsync(CliIo io, SynergAiClient client, IReadOnlyList<string> ids)
    {
        if (ids.Count == 0) return;
        io.Error.WriteLine($"stopping: cancelling the {ids.Count} job(s) this run submitted");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = limit.Token },
                async (id, token) =>
                {
                    try { await client.CancelAsync(id, token); }
                    catch (ArgumentException) { /* never got in */ }
                });
        }
        catch (Exception e)
        {
            io.Error.WriteLine($"warning: could not cancel every job: {e.Message}");
        }
    }

    static async Task RestoreAsync(CliIo io, SynergAiClient client, string pool, PoolSettings saved)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await ConfigureWhenIdleAsync(client, pool, saved, limit.Token);
            io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pool '{pool}' restored to policy {saved.Policy}, time scale {saved.TimeScale:g4}, re-evaluation every {saved.ReevaluationInterval.TotalMilliseconds:0} ms"));
        }
        catch (Exception e)
        {
            io.Error.WriteLine($"warning: could not restore pool '{pool}' to its settings ({saved}): {e.Message}");
        }
    }
}
