using Spectre.Console;

namespace SynergAI.Cli;

/// <summary>Where a command writes: data to <see cref="Out"/>, tables through <see cref="Tables"/> (also stdout),
/// messages and progress to <see cref="Error"/>.</summary>
public sealed class CliIo(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    public IAnsiConsole Tables { get; } = Console(stdout, ReferenceEquals(stdout, System.Console.Out) && !System.Console.IsOutputRedirected);

    /// <summary>Progress bars go to stderr and only when it is a terminal, so piped output stays clean.</summary>
    public IAnsiConsole? Progress { get; } = ReferenceEquals(stderr, System.Console.Error) && !System.Console.IsErrorRedirected
        ? Console(stderr, interactive: true) : null;

    static IAnsiConsole Console(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive) console.Profile.Width = 240;
        return console;
    }

    /// <summary>Fails now, with the option's name, if <paramref name="path"/> cannot be written (no such folder, no
    /// permission), so that a long computation is not thrown away at its end.</summary>
    public static void CheckWritable(string path, string option)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new ArgumentException($"{option} {path}: no folder {folder}");
        if (Directory.Exists(path)) throw new ArgumentException($"{option} {path}: is a folder");
        var probe = Path.GetFullPath(path) + ".tmp-" + Environment.ProcessId;
        try
        {
            File.WriteAllBytes(probe, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path}: cannot write there ({e.Message.TrimEnd('.')})");
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Writes a file all at once: a failure leaves no half-written file behind.</summary>
    public static void WriteFileAtomically(string path, Action<string> write)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
