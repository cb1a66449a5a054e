using System.CommandLine;
using SynergAI.Scheduling.Experiments;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai trace --experiment DL-FH --seed 7</c>: a generated trace, in the trace format, on stdout.</summary>
internal static class TraceCommand
{
    public static Command Create(CliIo io)
    {
        var experiment = new Option<string>("--experiment") { Description = "DL-FL, DL-FH, DH-FL or DH-FH", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed of the trace", DefaultValueFactory = _ => 1 };
        var testbed = Options.Testbed();
        var arrivals = Options.Arrivals();
        var command = new Command("trace", "Write a generated trace of one of the thesis's experiments to stdout") { experiment, seed, testbed, arrivals };
        command.SetAction(parsed =>
        {
            var chosen = Experiment.Parse(parsed.GetValue(experiment)!);
            if (chosen.Count != 1) throw new ArgumentException("trace writes one experiment; name one of DL-FL, DL-FH, DH-FL, DH-FH");
            var jobs = TraceGenerator.Generate(chosen[0], Options.LoadTestbed(parsed, testbed), parsed.GetValue(seed),
                arrivals: ArrivalProcesses.Parse(parsed.GetValue(arrivals)!));
            TraceFile.Write(io.Out, jobs);
            return 0;
        });
        return command;
    }
}
