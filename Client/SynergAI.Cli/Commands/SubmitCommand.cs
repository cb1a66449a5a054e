using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai submit</c>: one job (<c>--engine --queries --qos</c>), or a whole trace file at its arrival times.</summary>
internal static class SubmitCommand
{
    public static Command Create(CliIo io)
    {
        var engine = new Option<string?>("--engine") { Description = "Engine to run, e.g. onnx-mobilenet (see 'synergai workers')" };
        var queries = new Option<int?>("--queries") { Description = "Number of queries (> 0)" };
        var qos = new Option<double?>("--qos") { Description = "QoS deadline in (model) seconds after submission (> 0)" };
        var id = new Option<string?>("--id") { Description = "Job id (default: job-<guid>); never all digits. The same id and spec again returns the existing job" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the job finishes and print its outcome" };
        var admission = new Option<string?>("--admission")
        {
            Description = "accept, reject or best-effort for this job (default: the pool's SynergAI:Admission); under reject a job the "
                + "forecast says will miss its deadline is refused with the tightest deadline on offer, and nothing is stored",
        };
        admission.AcceptOnlyFromAmong("accept", "reject", "best-effort");
        var dryRun = new Option<bool>("--dry-run") { Description = "Submit nothing: print the pool's quote for the job (as 'synergai quote')" };
        var trace = new Option<string?>("--trace") { Description = "Submit every job of this trace file (job,arrival_s,engine,queries,qos_s) at its arrival time" };
        var timeScale = new Option<double?>("--time-scale") { Description = "With --trace: real seconds per trace second (default: the pool's time scale)" }
            .Must(x => x is { } v && double.IsFinite(v) && v >= 0, "must be a finite number ≥ 0");
        var idPrefix = new Option<string>("--id-prefix") { Description = "With --trace: prefix for the trace's job ids, e.g. run2- (the same ids again return the existing jobs)", DefaultValueFactory = _ => "" };

        var command = new Command("submit", "Submit a job (prints its id) or a whole trace (prints the ids as it goes)")
        {
            engine, queries, qos, id, wait, trace, timeScale, idPrefix, dryRun, admission,
        };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) =>
        {
            var tracePath = parsed.GetValue(trace);
            var single = new Option[] { engine, queries, qos, id }.Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            if (tracePath is not null)
            {
                if (single.Count > 0) throw new ArgumentException($"--trace submits a file; drop {string.Join(", ", single)}");
                if (parsed.GetValue(wait)) throw new ArgumentException("--wait waits for one job; use 'synergai status' to follow a trace");
                if (parsed.GetValue(dryRun)) throw new ArgumentException("--dry-run quotes one job; drop --trace");
                if (parsed.GetValue(admission) is not null) throw new ArgumentException("--admission goes with one job; a trace follows the pool's SynergAI:Admission");
                return cluster.RunAsync(parsed, io, cancel, (client, token) =>
                    SubmitTraceAsync(io, client, cluster.PoolOf(parsed), tracePath, parsed.GetValue(timeScale), parsed.GetValue(idPrefix)!, token));
            }
            if (parsed.GetResult(timeScale) is { Implicit: false } || parsed.GetResult(idPrefix) is { Implicit: false })
                throw new ArgumentException("--time-scale and --id-prefix go with --trace FILE");
            var missing = new Option[] { engine, queries, qos }.Where(o => parsed.GetResult(o) is null or { Implicit: true }).Select(o => o.Name).ToList();
            if (missing.Count > 0) throw new ArgumentException($"missing {string.Join(", ", missing)} (or give --trace FILE)");
            var spec = new JobSpec(parsed.GetValue(engine)!, parsed.GetValue(queries)!.Value, parsed.GetValue(qos)!.Value, parsed.GetValue(admission));
            if (spec.Problem() is { } problem) throw new ArgumentException(problem);
            var jobId = parsed.GetValue(id) ?? SynergAiClient.NewJobId();
            if (SynergAiClient.JobIdProblem(jobId) is { } idProblem) throw new ArgumentException(idProblem);

            if (parsed.GetValue(dryRun) && parsed.GetValue(wait)) throw new ArgumentException("--dry-run submits nothing to wait for; drop --wait");
            if (parsed.GetValue(dryRun))
                return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
                {
                    QuoteCommand.Write(io, "table", await client.QuoteAsync(spec, cluster.PoolOf(parsed), token));
                    return 0;
                });
            return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
            {
                var status = await client.SubmitAsync(spec, jobId, cluster.PoolOf(parsed), token);
                io.Out.WriteLine(status.Id);
                io.Out.Flush();
                if (!parsed.GetValue(wait)) return 0;
                io.Error.WriteLine($"waiting for {status.Id} ({StatusOutput.State(status.State)})…");
                var final = await client.WaitForCompletionAsync(status.Id, cancellationToken: token);
                io.Out.WriteLine(StatusOutput.OutcomeLine(final));
                return 0;
            });
        });
        return command;
    }

    /// <summary>A stand-in testbed holding just the pool's engine names, so a trace is checked against what the pool
    /// can run, with the trace reader's file/line/field errors.</summary>
    public static Testbed EnginesOnly(IEnumerable<string> engines)
    {
        var worker = new Worker("pool", "any", 1, 1, "any");
        return new Testbed([worker], [.. engines.Select(e => new ProfileEntry(worker.Name, e, "any", 1, 0))]);
    }

    static async Task<int> SubmitTraceAsync(CliIo io, SynergAiClient client, string pool, string path, double? timeScale, string prefix,
        CancellationToken cancel)
    {
        var status = await client.GetPoolAsync(pool, cancel);
        if (status.Engines.Count == 0) throw new ArgumentException($"pool '{pool}' has no workers; register some with 'synergai profile import DIR'");
        var jobs = TraceFile.Load(path, EnginesOnly(status.Engines));
        var ids = jobs.Select(j => prefix + j.Id).ToList();
        foreach (var jobId in ids)
            if (SynergAiClient.JobIdProblem(jobId) is { } problem) throw new ArgumentException($"{path}: {problem} (add --id-prefix)");
        var scale = timeScale ?? status.Settings.TimeScale;
        var span = jobs.Count == 0 ? 0 : jobs[^1].ArrivalSeconds * scale;
        io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"submitting {jobs.Count} jobs to pool '{pool}' over {span:0.#} s (time scale {scale:g4})"));

        var clock = Stopwatch.StartNew();
        var step = Math.Max(1, jobs.Count / 10);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            var due = TimeSpan.FromSeconds(job.ArrivalSeconds * scale) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, cancel);
            var submitted = await client.SubmitAsync(new JobSpec(job.Engine, job.Queries, job.QosSeconds), ids[i], pool, cancel);
            io.Out.WriteLine(submitted.Id);
            io.Out.Flush();
            if ((i + 1) % step == 0 || i + 1 == jobs.Count)
                io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {i + 1}/{jobs.Count} submitted at {clock.Elapsed.TotalSeconds:0.0} s (trace time {job.ArrivalSeconds:0.#} s)"));
        }
        return 0;
    }
}
