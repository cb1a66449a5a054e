using System.CommandLine;
using System.CommandLine.Parsing;

namespace SynergAI.Cli;

/// <summary>
/// Turns what the parser found wrong into the one line the CLI prints: the first problem, in words a user knows
/// ("--seeds expects an integer, got 'NaN'" rather than a CLR type name), with the nearest command or option for a typo
/// and where to look for help. System.CommandLine's own error action writes several lines and its typo corrections
/// only for unmatched tokens, not for a mistyped option that a command takes as its argument (<c>status --fromat</c>).
/// </summary>
internal static class ParseErrors
{
    /// <summary>The line to print, or null when the command line is fine.</summary>
    public static string? OneLine(ParseResult parsed)
    {
        var command = parsed.CommandResult;
        var help = $"see '{Path(command)} --help'";
        // A word starting with '-' taken as a command's argument is a mistyped or unknown option (a job id, folder or
        // file never starts with '-'): without this, 'status --watch' would look up a job called --watch.
        var optionAsArgument = command.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .FirstOrDefault(LooksLikeOption);
        if (optionAsArgument is not null) return UnknownToken(command, optionAsArgument, help);
        if (parsed.Errors.Count == 0) return null;

        var unmatched = parsed.UnmatchedTokens.FirstOrDefault();
        if (unmatched is not null) return UnknownToken(command, unmatched, help);
        var error = parsed.Errors[0];
        return $"error: {Describe(error)} ({help})";
    }

    static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !double.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out _);

    static string UnknownToken(CommandResult command, string token, string help)
    {
        var isOption = token.StartsWith('-');
        var candidates = isOption
            ? AllOptions(command).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        var nearest = Nearest(token, candidates);
        var what = isOption ? $"unknown option '{token}' for '{Path(command)}'"
            : command.Command.Subcommands.Count > 0 ? $"unknown command '{token}' for '{Path(command)}'"
            : $"unexpected argument '{token}' for '{Path(command)}'";
        return nearest is null ? $"error: {what} ({help})" : $"error: {what}; did you mean '{nearest}'? ({help})";
    }

    /// <summary>The command's options and the recursive ones of its parents (--help).</summary>
    static IEnumerable<Option> AllOptions(CommandResult command)
    {
        foreach (var option in command.Command.Options) yield return option;
        for (var parent = command.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
            foreach (var option in parent.Command.Options.Where(o => o.Recursive)) yield return option;
    }

    static string Describe(ParseError error)
    {
        // "Cannot parse argument 'x' for option '--seeds' as expected type 'System.Int32'": say what is expected.
        if (error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
        {
            var (name, type, tokens) = error.SymbolResult switch
            {
                OptionResult o => (o.Option.Name, o.Option.ValueType, o.Tokens),
                ArgumentResult { Parent: OptionResult o } a => (o.Option.Name, a.Argument.ValueType, a.Tokens),
                ArgumentResult a => (a.Argument.Name, a.Argument.ValueType, a.Tokens),
                _ => (null, null, null),
            };
            if (name is not null && tokens is { Count: > 0 })
                return $"{name} expects {Expected(type!)}, got '{tokens[^1].Value}'";
        }
        if (error.SymbolResult is CommandResult { Command.Subcommands.Count: > 0 } command && command.Tokens.Count == 0)
            return $"'{Path(command)}' needs a command: {string.Join(", ", command.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return error.Message.TrimEnd('.');
    }

    static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? (type.IsArray ? type.GetElementType()! : type);
        return type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(TimeSpan) ? "a duration such as 00:01:30"
            : $"a value of type {type.Name}";
    }

    static string Path(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = c.Parent)
            names.Insert(0, c.Parent is null ? "synergai" : c.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The candidate within a small edit distance (or the only one the token is a prefix of), else null.</summary>
    static string? Nearest(string token, IEnumerable<string> candidates)
    {
        var list = candidates.Distinct().ToList();
        var prefixed = list.Where(c => c.StartsWith(token, StringComparison.Ordinal)).ToList();
        if (prefixed.Count == 1 && token.TrimStart('-').Length > 0) return prefixed[0];
        var best = list.Select(c => (Candidate: c, Distance: Distance(token, c))).OrderBy(x => x.Distance).FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(1, token.TrimStart('-').Length / 3) ? best.Candidate : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
