using System.CommandLine;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai status [JOB]</c> and <c>synergai cancel JOB</c>.</summary>
internal static class StatusCommand
{
    public static Command Create(CliIo io)
    {
        var job = new Argument<string?>("JOB") { Description = "A job id (default: every job of the pool)", Arity = ArgumentArity.ZeroOrOne };
        var format = Options.Format("table", "csv", "json");
        var command = new Command("status", "Show one job, or every job the pool knows (queued, running, recently finished)") { job, format };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) => cluster.RunAsync(parsed, io, cancel, async (client, token) =>
        {
            var id = parsed.GetValue(job);
            if (id is null)
            {
                var jobs = await client.ListJobsAsync(cluster.PoolOf(parsed), token);
                StatusOutput.WriteJobs(io, parsed.GetValue(format)!, jobs, single: false);
                return 0;
            }
            var status = await client.GetAsync(id, token) ?? throw new ArgumentException($"unknown job '{id}'");
            StatusOutput.WriteJobs(io, parsed.GetValue(format)!, [status], single: true);
            return 0;
        }));
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
