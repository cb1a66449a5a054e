namespace SynergAI.Scheduling.Formats;

/// <summary>The thesis's testbed (x86 VM, Jetson AGX Xavier, Jetson Xavier NX; 12 engines; 20 configurations each),
/// embedded in this assembly from <c>Testbeds/reference/</c>. See that folder's NOTES.md for how it was calibrated.</summary>
public static class ReferenceTestbed
{
    public const string Name = "reference";
    static readonly Lazy<Testbed> Cached = new(() =>
    {
        using var workers = Open(TestbedFiles.WorkersFile);
        using var profile = Open(TestbedFiles.ProfileFile);
        return TestbedFiles.Read(workers, profile, $"reference/{TestbedFiles.WorkersFile}", $"reference/{TestbedFiles.ProfileFile}");
    });

    public static Testbed Load() => Cached.Value;

    /// <summary>The testbed in <paramref name="directory"/>, or the reference testbed when it is null.</summary>
    public static Testbed LoadOr(string? directory) => directory is null ? Load() : TestbedFiles.Load(directory);

    static StreamReader Open(string file)
    {
        var name = $"SynergAI.Testbeds.reference.{file}";
        var stream = typeof(ReferenceTestbed).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource '{name}' is missing from the build");
        return new StreamReader(stream);
    }
}
