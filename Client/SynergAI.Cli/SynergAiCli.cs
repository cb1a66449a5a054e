using System.CommandLine;
using SynergAI.Cli.Commands;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli;

/// <summary>The <c>synergai</c> command line: data on stdout, messages on stderr, any error in one line with a
/// non-zero exit code (<see cref="ExitCodes"/>).</summary>
public static class SynergAiCli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, CancellationToken.None);

    /// <summary><paramref name="cancellationToken"/> acts as Ctrl+C does (tests use it).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
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
        if (ParseErrors.OneLine(parsed) is { } problem)
        {
            stderr.WriteLine(problem);
            return ExitCodes.Error;
        }
        try
        {
            // Commands that talk to the cluster turn Ctrl+C/SIGTERM into cancellation themselves and clean up before they
            // return (see Cluster.RunAsync); System.CommandLine's own handling would return at once and skip the clean-up.
            return parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            }, cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return e is OperationCanceledException ? ExitCodes.Interrupted : ExitCodes.Error;
        }
        catch (Exception e)
        {
            // A bug: still one line (and the stack trace only when asked for), never the runtime's crash with code 134.
            stderr.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message} (set SYNERGAI_DEBUG=1 for the stack trace)");
            if (Environment.GetEnvironmentVariable("SYNERGAI_DEBUG") == "1") stderr.WriteLine(e);
            return ExitCodes.Error;
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
