using System.CommandLine;
using SynergAI.Cli.Commands;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli;

/// <summary>The <c>synergai</c> command line: data on stdout, messages on stderr, exit code 1 on any error.</summary>
public static class SynergAiCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var io = new CliIo(stdout, stderr);
        var root = new RootCommand("SynergAI: QoS-aware scheduling of ML inference jobs across heterogeneous edge and cloud workers.")
        {
            ExperimentCommand.Create(io),
            TraceCommand.Create(io),
            OracleCommand.Create(io),
            WithControlPlaneBench(BenchCommand.Create(io), io),
            SubmitCommand.Create(io),
            QuoteCommand.Create(io),
            StatusCommand.Create(io),
            StatusCommand.Cancel(io),
            WorkersCommand.Create(io),
            WorkersCommand.Profile(io),
            DbCommand.Create(io),
        };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine($"error: {error.Message}");
            stderr.WriteLine($"see '{parsed.CommandResult.Command.Name} --help'");
            return 1;
        }
        try
        {
            // Commands that talk to the cluster turn Ctrl+C/SIGTERM into cancellation themselves and clean up before they
            // return (see Cluster.RunAsync); System.CommandLine's own handling would return at once and skip the clean-up.
            return parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Bad input or environment, reported in one line; anything else is a bug and keeps its stack trace.</summary>
    static bool IsUserError(Exception e) =>
        e is InputFileException or ArgumentException or IOException or UnauthorizedAccessException or KeyNotFoundException
            or SynergAI.Grains.SynergAiException or TimeoutException or OperationCanceledException;

    /// <summary>Adds <c>bench control-plane</c> next to <c>bench simulate</c>.</summary>
    static Command WithControlPlaneBench(Command bench, CliIo io)
    {
        bench.Subcommands.Add(ControlPlaneBenchCommand.Create(io));
        return bench;
    }
}
