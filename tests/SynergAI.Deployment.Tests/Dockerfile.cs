using System.Text.Json;
using System.Text.RegularExpressions;

namespace SynergAI.Deployment.Tests;

/// <summary>One instruction of a Dockerfile (continuation lines joined, comments dropped).</summary>
internal sealed record Instruction(int Line, string Keyword, string Arguments)
{
    /// <summary>The arguments as words: the JSON (exec) form, or split on white space.</summary>
    public IReadOnlyList<string> Words => Arguments.TrimStart().StartsWith('[')
        ? JsonSerializer.Deserialize<string[]>(Arguments) ?? []
        : Arguments.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Options such as <c>--from=build</c>, by name.</summary>
    public IReadOnlyDictionary<string, string> Flags => Words.TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal))
        .Select(w => w[2..].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");

    public IReadOnlyList<string> WordsAfterFlags => [.. Words.SkipWhile(w => w.StartsWith("--", StringComparison.Ordinal))];
}

/// <summary>A build stage: its <c>FROM</c> image, its name, and its instructions.</summary>
internal sealed record Stage(string Image, string? Name, IReadOnlyList<Instruction> Instructions)
{
    public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>A Dockerfile read statically, the way the builder reads it: enough to check stages, copies and the entrypoint
/// without a Docker engine.</summary>
internal sealed class Dockerfile
{
    public string File { get; }
    public IReadOnlyList<Stage> Stages { get; }

    Dockerfile(string file, IReadOnlyList<Stage> stages) => (File, Stages) = (file, stages);

    public Stage Build => Stages[0];
    public Stage Runtime => Stages[^1];

    public static Dockerfile Load(string file) => FromText(file, Repository.ReadText(file));

    public static Dockerfile FromText(string file, string text) => new(file, Parse(text));

    static IReadOnlyList<Stage> Parse(string text)
    {
        var instructions = new List<Instruction>();
        string? pending = null;
        var start = 0;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || (pending is null && string.IsNullOrWhiteSpace(line))) continue;
            if (pending is null) start = n + 1;
            var continued = line.EndsWith('\\');
            pending = (pending is null ? "" : pending + " ") + (continued ? line[..^1] : line).Trim();
            if (continued) continue;
            var m = Regex.Match(pending, @"^(\S+)\s*(.*)$");
            instructions.Add(new Instruction(start, m.Groups[1].Value.ToUpperInvariant(), m.Groups[2].Value.Trim()));
            pending = null;
        }

        var stages = new List<Stage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.WordsAfterFlags;
                var name = words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                stages.Add(new Stage(words[0], name, []));
            }
            else if (stages.Count == 0)
            {
                if (instruction.Keyword != "ARG") throw new InvalidOperationException($"{instruction.Keyword} before the first FROM");
            }
            else
            {
                stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
            }
        }
        return stages;
    }

    /// <summary><c>ENV</c> settings of a stage (the <c>key=value</c> form).</summary>
    public static IReadOnlyDictionary<string, string> Env(Stage stage) => stage.All("ENV")
        .SelectMany(i => i.Words).Select(w => w.Split('=', 2)).Where(kv => kv.Length == 2)
        .GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim('"'));
}
