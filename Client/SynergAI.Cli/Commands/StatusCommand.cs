using System.CommandLine;
using SynergAI.Grains;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai status [JOB]</c> and <c>synergai cancel JOB</c>.</summary>
internal static class StatusCommand
{
    /// <summary>Rows a table shows unless <c>--limit</c> says otherwise: a pool can know thousands of jobs.</summary>
    public const int DefaultTableLimit = 50;

    public static Command Create(CliIo io)
    {
        var job = new Argument<string?>("JOB") { Description = "A job id (default: every job of the pool)", Arity = ArgumentArity.ZeroOrOne };
        var format = Options.Format("table", "csv", "json");
        var states = new Option<string[]>("--state")
        {
            Description = "Only jobs in these states (repeatable or comma-separated): " + string.Join(", ", Enum.GetValues<JobState>().Select(StatusOutput.State)),
            AllowMultipleArgumentsPerToken = true,
        };
        states.Validators.Add(result =>
        {
            foreach (var word in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
                if (!Enum.TryParse<JobState>(word, ignoreCase: true, out _) || int.TryParse(word, out _))
                    result.AddError($"--state: unknown state '{word}'; one of {string.Join(", ", Enum.GetValues<JobState>().Select(StatusOutput.State))}");
        });
        var limit = new Option<int?>("--limit") { Description = $"Show at most N jobs (table default {DefaultTableLimit}; csv and json: all)" }
            .Must(n => n is >= 1, "must be at least 1");
        var skip = new Option<int>("--skip") { Description = "Skip the first N jobs (with --limit: page through them)" }.Must(n => n >= 0, "must be 0 or more");
        var command = new Command("status", "Show one job, or the jobs the pool knows (queued, running, recently finished) with a summary line")
        {
            job, format, states, limit, skip,
        };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) =>
        {
            var id = parsed.GetValue(job);
            if (id is not null && new Option[] { states, limit, skip }.FirstOrDefault(o => parsed.GetResult(o) is { Implicit: false }) is { } listOnly)
                throw new ArgumentException($"{listOnly.Name} filters the list of jobs; drop it or the job id");
            return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
            {
                var output = parsed.GetValue(format)!;
                if (id is null)
                {
                    var pool = cluster.PoolOf(parsed);
                    await cluster.RequireKnownPoolAsync(pool, token);
                    var wanted = (parsed.GetValue(states) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        .Select(s => Enum.Parse<JobState>(s, ignoreCase: true)).Distinct().ToList();
                    var jobs = await client.ListAllJobsAsync(new JobQuery(pool, wanted.Count == 0 ? null : wanted, PageSize: JobQuery.MaxPageSize), token);
                    var take = parsed.GetValue(limit) ?? (output == "table" ? DefaultTableLimit : int.MaxValue);
                    var page = jobs.Skip(parsed.GetValue(skip)).Take(take).ToList();
                    var forecast = page.Any(j => j.State == JobState.Queued) ? await client.ForecastAsync(pool, token) : null;
                    StatusOutput.WriteJobs(io, output, page, single: false, forecast);
                    var summary = StatusOutput.SummaryLine(jobs, wanted, parsed.GetValue(skip), page.Count);
                    // The summary is for people: below the table, or on stderr so that csv and json stay parsable.
                    (output == "table" ? io.Out : io.Error).WriteLine(summary);
                    return ExitCodes.Ok;
                }
                var status = await client.GetAsync(id, token) ?? throw new ArgumentException($"unknown job '{id}'");
                var waiting = status.State == JobState.Queued ? await client.ForecastAsync(status.Pool, token) : null;
                StatusOutput.WriteJobs(io, output, [status], single: true, waiting);
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    public static Command Cancel(CliIo io)
    {
        var job = new Argument<string>("JOB") { Description = "The job to cancel" };
        var command = new Command("cancel", "Cancel a job: take it out of the queue or stop its run (a finished job stays as it is)") { job };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) => cluster.RunAsync(parsed, io, cancel, async (client, token) =>
        {
            var id = parsed.GetValue(job)!;
            var before = await client.GetAsync(id, token) ?? throw new ArgumentException($"unknown job '{id}'");
            var after = await client.CancelAsync(id, token);
            if (before.IsFinished) io.Error.WriteLine($"{id} had already finished; nothing to cancel");
            io.Out.WriteLine($"{after.Id} {StatusOutput.State(after.State)}");
            return 0;
        }));
        return command;
    }
}
