namespace SynergAI.Deployment.Tests;

/// <summary>The checked-out repository the deployment files belong to, found by walking up from the test's output
/// folder to the solution file (so the tests read the files as committed, not copies).</summary>
internal static class Repository
{
    public const string SolutionFile = "SynergAI.Orleans.sln";

    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) return dir.FullName;
        throw new InvalidOperationException($"no {SolutionFile} above {AppContext.BaseDirectory}");
    }

    /// <summary>A repository path written with forward slashes, as Dockerfiles and manifests write them.</summary>
    public static string PathOf(string relative) =>
        Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));

    public static bool Exists(string relative) => File.Exists(PathOf(relative)) || Directory.Exists(PathOf(relative));

    public static string ReadText(string relative) => File.ReadAllText(PathOf(relative));

    public static byte[] ReadBytes(string relative) => File.ReadAllBytes(PathOf(relative));
}
