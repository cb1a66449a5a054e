using System.Globalization;
using System.Xml.Linq;

namespace SynergAI.Deployment.Tests;

/// <summary>What must hold of an image's Dockerfile, checked without building it. Problems in words; empty = fine.</summary>
internal static class DockerfileChecks
{
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";

    public static IEnumerable<string> Stages(Dockerfile docker, string runtimeImage)
    {
        if (docker.Stages.Count < 2) { yield return $"{docker.File}: {docker.Stages.Count} stage(s), expected a build stage and a runtime stage"; yield break; }
        if (docker.Build.Image != SdkImage || docker.Build.Name != "build")
            yield return $"{docker.File}: first stage FROM {docker.Build.Image} AS {docker.Build.Name}, expected FROM {SdkImage} AS build";
        if (docker.Runtime.Image != runtimeImage) yield return $"{docker.File}: final stage FROM {docker.Runtime.Image}, expected {runtimeImage}";
        // The final image carries only what the build stage published, never the SDK.
        if (!docker.Runtime.All("COPY").Any(c => c.Flags.TryGetValue("from", out var from) && from == "build"))
            yield return $"{docker.File}: the final stage copies nothing from the build stage";
    }

    public static IEnumerable<string> RunsAsNonRoot(Dockerfile docker)
    {
        var user = docker.Runtime.All("USER").LastOrDefault()?.WordsAfterFlags.FirstOrDefault();
        if (user is null) yield return $"{docker.File}: no USER in the final stage: the container would run as root";
        else if (user.Split(':')[0] is "root" or "0") yield return $"{docker.File}: USER {user} is root";
    }

    /// <summary>Every <c>COPY</c> from the build context names a path that exists in the repository and that
    /// <c>.dockerignore</c> does not leave out of the context.</summary>
    public static IEnumerable<string> CopySourcesExist(Dockerfile docker)
    {
        var ignored = DockerIgnore();
        foreach (var stage in docker.Stages)
            foreach (var copy in stage.All("COPY").Concat(stage.All("ADD")).Where(c => !c.Flags.ContainsKey("from")))
            {
                var words = copy.WordsAfterFlags;
                if (words.Count < 2) { yield return $"{docker.File}:{copy.Line}: COPY without source and destination"; continue; }
                foreach (var source in words.Take(words.Count - 1))
                {
                    if (!Repository.Exists(source)) yield return $"{docker.File}:{copy.Line}: COPY {source}: no such path in the repository";
                    else if (ignored.FirstOrDefault(pattern => IsIgnored(source, pattern)) is { } pattern)
                        yield return $"{docker.File}:{copy.Line}: COPY {source}: left out of the build context by .dockerignore ({pattern})";
                }
            }
    }

    /// <summary>Layer-friendly restore: the props files and the csproj of every project the published one depends on are
    /// copied alone, then restored, and only then the sources; so a source change reuses the restore layer.</summary>
    public static IEnumerable<string> RestoresFromProjectFilesFirst(Dockerfile docker, string project)
    {
        var build = docker.Build.Instructions;
        var restore = build.FirstOrDefault(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        if (restore is null) { yield return $"{docker.File}: no RUN dotnet restore in the build stage"; yield break; }
        if (!restore.Arguments.Contains(project, StringComparison.Ordinal)) yield return $"{docker.File}: dotnet restore does not restore {project}";
        var before = build.TakeWhile(i => i != restore).Where(i => i.Keyword == "COPY").SelectMany(c => c.WordsAfterFlags.SkipLast(1)).ToList();
        foreach (var source in before.Where(s => Directory.Exists(Repository.PathOf(s))))
            yield return $"{docker.File}: COPY {source} (a folder) before the restore: every source change would invalidate the restore layer";
        foreach (var needed in ProjectClosure(project).Append("Directory.Build.props").Append("Directory.Packages.props"))
            if (!before.Contains(needed)) yield return $"{docker.File}: {needed} is not copied before dotnet restore";
    }

    /// <summary>The published project exists, is the one restored, and the entrypoint runs its assembly from the
    /// folder the final stage copied the publish output to.</summary>
    public static IEnumerable<string> PublishesAndRuns(Dockerfile docker, string project)
    {
        var publish = docker.Build.Instructions.FirstOrDefault(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        if (publish is null) { yield return $"{docker.File}: no RUN dotnet publish"; yield break; }
        var words = publish.Words.ToList();
        var published = words.SkipWhile(w => w != "publish").Skip(1).FirstOrDefault();
        if (published != project) yield return $"{docker.File}: publishes {published}, expected {project}";
        if (published is null || !File.Exists(Repository.PathOf(published))) yield return $"{docker.File}: published project {published} does not exist";
        var output = words.SkipWhile(w => w is not ("-o" or "--output")).Skip(1).FirstOrDefault();
        if (output is null) yield return $"{docker.File}: dotnet publish without -o: the final stage cannot know where the output is";
        else if (!docker.Runtime.All("COPY").Any(c => c.Flags.GetValueOrDefault("from") == "build" && c.WordsAfterFlags[0].TrimEnd('/') == output.TrimEnd('/')))
            yield return $"{docker.File}: the final stage does not copy the publish output {output}";

        var entrypoint = docker.Runtime.All("ENTRYPOINT").LastOrDefault();
        var expected = new[] { "dotnet", $"{AssemblyName(project)}.dll" };
        if (entrypoint is null || !entrypoint.Arguments.TrimStart().StartsWith('[') || !entrypoint.Words.SequenceEqual(expected))
            yield return $"{docker.File}: ENTRYPOINT {entrypoint?.Arguments ?? "missing"}, expected the exec form [\"{string.Join("\", \"", expected)}\"]";
    }

    /// <summary>The silo image exposes the ports the silo listens on by default: silo and gateway port from
    /// <c>Silo/appsettings.json</c>, HTTP from the image's <c>ASPNETCORE_HTTP_PORTS</c>.</summary>
    public static IEnumerable<string> ExposesSiloPorts(Dockerfile docker)
    {
        var exposed = docker.Runtime.All("EXPOSE").SelectMany(e => e.Words).Select(p => p.Split('/')[0]).ToHashSet();
        using var settings = System.Text.Json.JsonDocument.Parse(Repository.ReadText("Silo/appsettings.json"));
        var orleans = settings.RootElement.GetProperty("Orleans");
        var env = Dockerfile.Env(docker.Runtime);
        var ports = new Dictionary<string, string?>
        {
            ["Orleans:SiloPort"] = orleans.GetProperty("SiloPort").GetInt32().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = orleans.GetProperty("GatewayPort").GetInt32().ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_HTTP_PORTS"] = env.GetValueOrDefault("ASPNETCORE_HTTP_PORTS"),
        };
        foreach (var (setting, port) in ports)
            if (port is null || !exposed.Contains(port)) yield return $"{docker.File}: {setting} ({port ?? "unset"}) is not EXPOSEd";
        if (env.GetValueOrDefault("Orleans__ListenOnAnyHostAddress") != "true")
            yield return $"{docker.File}: Orleans__ListenOnAnyHostAddress is not true: the gateway would not answer on the container's localhost";
    }

    /// <summary>A HEALTHCHECK must not rely on a tool the .NET runtime images lack.</summary>
    public static IEnumerable<string> HealthCheckUsesNoMissingTool(Dockerfile docker)
    {
        foreach (var check in docker.Runtime.All("HEALTHCHECK"))
            if (check.Words.Any(w => w is "curl" or "wget"))
                yield return $"{docker.File}:{check.Line}: HEALTHCHECK calls curl or wget, which {docker.Runtime.Image} does not have";
    }

    /// <summary>The project and every project it references, directly or not, as repository paths.</summary>
    public static IReadOnlyList<string> ProjectClosure(string project)
    {
        var seen = new List<string>();
        var todo = new Stack<string>([project]);
        while (todo.TryPop(out var current))
        {
            if (seen.Contains(current)) continue;
            seen.Add(current);
            var folder = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(Repository.PathOf(current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(Repository.PathOf(folder), reference.Attribute("Include")!.Value.Replace('\\', '/')));
                todo.Push(Path.GetRelativePath(Repository.Root, full).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }
        return seen;
    }

    static string AssemblyName(string project) =>
        XDocument.Load(Repository.PathOf(project)).Descendants("AssemblyName").FirstOrDefault()?.Value
        ?? Path.GetFileNameWithoutExtension(project);

    static IReadOnlyList<string> DockerIgnore() =>
        Repository.Exists(".dockerignore")
            ? [.. Repository.ReadText(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))]
            : [];

    /// <summary>The .dockerignore patterns used here: <c>**/name/</c> (a folder of that name anywhere) and a plain path.</summary>
    static bool IsIgnored(string source, string pattern)
    {
        var path = source.TrimEnd('/');
        if (pattern.StartsWith("**/", StringComparison.Ordinal))
            return path.Split('/').Contains(pattern[3..].TrimEnd('/'));
        var plain = pattern.TrimEnd('/');
        return path == plain || path.StartsWith(plain + "/", StringComparison.Ordinal);
    }
}
