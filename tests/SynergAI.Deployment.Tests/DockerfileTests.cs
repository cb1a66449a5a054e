namespace SynergAI.Deployment.Tests;

/// <summary>The two images, read from their Dockerfiles: multi-stage on the .NET 10 images, non-root, copies that
/// exist, a restore layer built from the project files, and an entrypoint that runs the published assembly.</summary>
public class DockerfileTests
{
    /// <summary>Each Dockerfile, the project it publishes and the image it runs on (ASP.NET Core for the silo's HTTP
    /// health endpoints; the plain runtime for the CLI).</summary>
    static readonly Dictionary<string, (string Project, string RuntimeImage)> Image = new()
    {
        ["docker/Dockerfile.silo"] = ("Silo/SynergAI.Silo.csproj", "mcr.microsoft.com/dotnet/aspnet:10.0"),
        ["docker/Dockerfile.cli"] = ("Client/SynergAI.Cli/SynergAI.Cli.csproj", "mcr.microsoft.com/dotnet/runtime:10.0"),
    };

    public static TheoryData<string> Images => [.. Image.Keys];

    [Fact]
    public void Every_Dockerfile_in_docker_is_checked() =>
        Assert.Equal(Image.Keys.Order(), Directory.EnumerateFiles(Repository.PathOf("docker"), "Dockerfile*")
            .Select(f => $"docker/{Path.GetFileName(f)}").Order());

    [Theory, MemberData(nameof(Images))]
    public void Builds_on_the_SDK_and_runs_on_the_runtime_image(string file) =>
        Assert.Empty(DockerfileChecks.Stages(Dockerfile.Load(file), Image[file].RuntimeImage));

    [Theory, MemberData(nameof(Images))]
    public void Runs_as_a_user_other_than_root(string file) =>
        Assert.Empty(DockerfileChecks.RunsAsNonRoot(Dockerfile.Load(file)));

    [Theory, MemberData(nameof(Images))]
    public void Copies_only_paths_that_exist_in_the_build_context(string file) =>
        Assert.Empty(DockerfileChecks.CopySourcesExist(Dockerfile.Load(file)));

    [Theory, MemberData(nameof(Images))]
    public void Restores_from_the_props_and_project_files_before_copying_sources(string file) =>
        Assert.Empty(DockerfileChecks.RestoresFromProjectFilesFirst(Dockerfile.Load(file), Image[file].Project));

    [Theory, MemberData(nameof(Images))]
    public void Entrypoint_runs_the_published_assembly(string file) =>
        Assert.Empty(DockerfileChecks.PublishesAndRuns(Dockerfile.Load(file), Image[file].Project));

    [Theory, MemberData(nameof(Images))]
    public void Has_no_healthcheck_that_needs_a_missing_tool(string file) =>
        Assert.Empty(DockerfileChecks.HealthCheckUsesNoMissingTool(Dockerfile.Load(file)));

    [Fact]
    public void Silo_image_exposes_the_silo_gateway_and_HTTP_ports() =>
        Assert.Empty(DockerfileChecks.ExposesSiloPorts(Dockerfile.Load("docker/Dockerfile.silo")));

    [Theory]
    [InlineData("Silo/SynergAI.Silo.csproj")]
    [InlineData("Client/SynergAI.Client/SynergAI.Client.csproj")]
    public void The_solver_stays_out_of_the_silo_and_the_SDK(string project)
    {
        // OR-Tools brings native libraries; only the CLI (and its image) carries them.
        Assert.DoesNotContain("Oracle/SynergAI.Oracle.csproj", DockerfileChecks.ProjectClosure(project));
        Assert.Contains("Oracle/SynergAI.Oracle.csproj", DockerfileChecks.ProjectClosure("Client/SynergAI.Cli/SynergAI.Cli.csproj"));
    }

    [Fact]
    public void Project_closure_follows_project_references()
    {
        // The restore check is only as good as this walk: the silo needs the grains, their interfaces and the core, and
        // the SDK (its web view reads through the same client calls as the CLI).
        Assert.Equal(
            new[] { "Client/SynergAI.Client/SynergAI.Client.csproj", "Grains.Interfaces/SynergAI.Grains.Interfaces.csproj",
                    "Grains/SynergAI.Grains.csproj", "Scheduling/SynergAI.Scheduling.csproj", "Silo/SynergAI.Silo.csproj" },
            DockerfileChecks.ProjectClosure("Silo/SynergAI.Silo.csproj").Order(StringComparer.Ordinal));
    }
}
