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
            BenchCommand.Create(io),
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
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Bad input or environment, reported in one line; anything else is a bug and keeps its stack trace.</summary>
    static bool IsUserError(Exception e) =>
        e is InputFileException or ArgumentException or IOException or UnauthorizedAccessException or KeyNotFoundException;
}
