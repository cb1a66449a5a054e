using System.CommandLine;
using SynergAI.Scheduling.Formats;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class Options
{
    public static Option<string?> Testbed() => new("--testbed")
    {
        Description = "Testbed folder holding workers.csv and profile.csv (default: the built-in reference testbed)",
    };

    public static Option<string> Format(params string[] formats)
    {
        var option = new Option<string>("--format") { Description = $"Output format: {string.Join(", ", formats)}", DefaultValueFactory = _ => formats[0] };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    public static Option<string> Policies() => new("--policies")
    {
        Description = $"'all' or a comma-separated list of {string.Join(", ", PolicyCatalog.Names)}",
        DefaultValueFactory = _ => "all",
    };

    public static Option<string> Arrivals()
    {
        var option = new Option<string>("--arrivals")
        {
            Description = "Arrival process of generated traces: poisson (the thesis's) or bursty (bursts of 2-6 jobs within 2 s, long gaps, same mean rate)",
            DefaultValueFactory = _ => "poisson",
        };
        option.AcceptOnlyFromAmong([.. Scheduling.Experiments.ArrivalProcesses.Names]);
        return option;
    }

    public static Scheduling.Testbed LoadTestbed(ParseResult parsed, Option<string?> testbed) =>
        ReferenceTestbed.LoadOr(parsed.GetValue(testbed));

    /// <summary>Adds a check that the option's value satisfies <paramref name="ok"/>.</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, bool> ok, string problem)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            T value;
            try
            {
                value = result.GetValueOrDefault<T>()!;
            }
            catch (InvalidOperationException)
            {
                return; // not a T at all: the parser reports that itself ("Cannot parse argument …")
            }
            if (!ok(value)) result.AddError($"{option.Name} {problem}");
        });
        return option;
    }
}
