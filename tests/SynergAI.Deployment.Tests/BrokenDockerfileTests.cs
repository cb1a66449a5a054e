namespace SynergAI.Deployment.Tests;

/// <summary>The Dockerfile checks catch what they are for: each test edits the committed silo Dockerfile in memory
/// and expects the check that guards that property to complain.</summary>
public class BrokenDockerfileTests
{
    const string File = "docker/Dockerfile.silo";
    const string Project = "Silo/SynergAI.Silo.csproj";

    static Dockerfile Edited(string from, string to)
    {
        var text = Repository.ReadText(File);
        Assert.Contains(from, text);   // the edit must apply, or the test proves nothing
        return Dockerfile.FromText(File, text.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void Running_as_root_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.RunsAsNonRoot(Edited("USER $APP_UID", "USER root")));

    [Fact]
    public void A_single_stage_on_the_SDK_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.Stages(Edited("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS runtime"),
            "mcr.microsoft.com/dotnet/aspnet:10.0"));

    [Fact]
    public void Copying_a_path_that_does_not_exist_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.CopySourcesExist(Edited("COPY Silo/ Silo/", "COPY src/Silo/ Silo/")));

    [Fact]
    public void Copying_a_path_the_dockerignore_leaves_out_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.CopySourcesExist(Edited("COPY Silo/ Silo/", "COPY Silo/ Silo/\nCOPY tests/ tests/")));

    [Fact]
    public void Restoring_without_a_referenced_project_file_is_caught() =>
        Assert.Contains(DockerfileChecks.RestoresFromProjectFilesFirst(Edited("COPY Grains.Interfaces/SynergAI.Grains.Interfaces.csproj Grains.Interfaces/\n", ""), Project),
            p => p.Contains("Grains.Interfaces/SynergAI.Grains.Interfaces.csproj"));

    [Fact]
    public void Copying_sources_before_the_restore_is_caught() =>
        Assert.Contains(DockerfileChecks.RestoresFromProjectFilesFirst(Edited("COPY Silo/SynergAI.Silo.csproj Silo/", "COPY Silo/ Silo/"), Project),
            p => p.Contains("a folder"));

    [Fact]
    public void An_entrypoint_running_another_assembly_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.PublishesAndRuns(Edited("\"SynergAI.Silo.dll\"", "\"Silo.dll\""), Project));

    [Fact]
    public void An_unexposed_gateway_port_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.ExposesSiloPorts(Edited("EXPOSE 11111 30000 8080", "EXPOSE 11111 8080")));

    [Fact]
    public void A_curl_healthcheck_is_caught() =>
        Assert.NotEmpty(DockerfileChecks.HealthCheckUsesNoMissingTool(Edited("USER $APP_UID", "HEALTHCHECK CMD curl -f http://localhost:8080/health/live || exit 1\nUSER $APP_UID")));
}
