namespace SynergAI.Deployment.Tests;

/// <summary><c>docker/compose.yaml</c>: PostgreSQL with a health check, three silos on it, the CLI on demand.</summary>
public class ComposeTests
{
    readonly ComposeFile compose = ComposeFile.Load();

    [Fact]
    public void Postgres_is_the_official_image_with_a_pg_isready_healthcheck_and_a_volume() =>
        Assert.Empty(ComposeChecks.PostgresService(compose));

    [Fact]
    public void Three_silos_share_one_connection_string_and_wait_for_postgres_to_be_healthy() =>
        Assert.Empty(ComposeChecks.ThreeSilosOnOneDatabase(compose));

    [Fact]
    public void Each_silo_has_its_own_ports_and_advertised_address() =>
        Assert.Empty(ComposeChecks.SilosHaveTheirOwnPortsAndAddresses(compose));

    [Fact]
    public void Silos_get_longer_to_stop_than_their_shutdown_timeout() =>
        Assert.Empty(ComposeChecks.SilosStopGracefully(compose));

    [Fact]
    public void The_CLI_runs_only_when_its_profile_is_asked_for() =>
        Assert.Empty(ComposeChecks.CliIsAnOptionalProfile(compose));

    [Fact]
    public void Every_service_builds_from_a_Dockerfile_that_exists() =>
        Assert.Empty(ComposeChecks.BuildsFromExistingDockerfiles(compose));

    // The same checks on a broken copy: they must complain.

    [Fact]
    public void Two_silos_on_one_gateway_port_are_caught()
    {
        var env = (Dictionary<object, object>)compose.Service("silo2")!["environment"];
        env["Orleans__GatewayPort"] = "30000";
        Assert.Contains(ComposeChecks.SilosHaveTheirOwnPortsAndAddresses(compose), p => p.Contains("Orleans__GatewayPort"));
    }

    [Fact]
    public void A_silo_that_does_not_wait_for_a_healthy_postgres_is_caught()
    {
        compose.Service("silo3")!["depends_on"] = new List<object> { "postgres" };
        Assert.Contains(ComposeChecks.ThreeSilosOnOneDatabase(compose), p => p.Contains("silo3"));
    }

    [Fact]
    public void Postgres_without_a_healthcheck_is_caught()
    {
        compose.Service("postgres")!.Remove("healthcheck");
        Assert.Contains(ComposeChecks.PostgresService(compose), p => p.Contains("pg_isready"));
    }

    [Fact]
    public void A_silo_advertising_an_address_it_does_not_have_is_caught()
    {
        ((Dictionary<object, object>)compose.Service("silo1")!["environment"])["Orleans__AdvertisedIPAddress"] = "127.0.0.1";
        Assert.Contains(ComposeChecks.SilosHaveTheirOwnPortsAndAddresses(compose), p => p.Contains("silo1"));
    }
}
