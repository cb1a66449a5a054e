namespace SynergAI.Scheduling.Formats;

/// <summary>Bad input in a testbed or trace file. The message names the file, the line and the field.</summary>
public sealed class InputFileException(string file, int line, string? field, string problem)
    : Exception(field is null ? $"{file}:{line}: {problem}" : $"{file}:{line}: field '{field}': {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string? Field { get; } = field;
}
