namespace SynergAI.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it writes.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static CliRun Of(params string[] args) => Of(args, CancellationToken.None);

    /// <summary>Runs the CLI; <paramref name="interrupt"/> acts as Ctrl+C.</summary>
    public static CliRun Of(string[] args, CancellationToken interrupt)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = SynergAiCli.Run(args, stdout, stderr, interrupt);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public CliRun Succeeded()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Error}");
        return this;
    }
}

/// <summary>A temporary folder, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("synergai-cli-").FullName;

    public string File(string name, string? content = null)
    {
        var path = System.IO.Path.Combine(Path, name);
        if (content is not null) System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
