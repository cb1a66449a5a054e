using System.Globalization;

namespace SynergAI.Deployment.Tests;

/// <summary>What must hold of the local three-silo cluster in <c>docker/compose.yaml</c>. Problems in words; empty = fine.</summary>
internal static class ComposeChecks
{
    public const string SiloDockerfile = "docker/Dockerfile.silo";
    public const string CliDockerfile = "docker/Dockerfile.cli";
    const string Postgres = "postgres";

    public static IEnumerable<string> PostgresService(ComposeFile compose)
    {
        var postgres = compose.Service(Postgres);
        if (postgres is null) { yield return "no service 'postgres'"; yield break; }
        var image = ComposeFile.Text(postgres, "image") ?? "";
        if (!image.StartsWith("postgres:", StringComparison.Ordinal)) yield return $"postgres runs image '{image}', expected the official postgres image";
        var test = ComposeFile.Map(postgres, "healthcheck")?.GetValueOrDefault("test") switch
        {
            List<object> words => string.Join(' ', words),
            { } text => text.ToString(),
            null => null,
        };
        if (test is null || !test.Contains("pg_isready", StringComparison.Ordinal)) yield return "postgres has no healthcheck with pg_isready";
        // The database outlives the containers only on a named volume at the image's data folder.
        var declared = ComposeFile.Map(compose.Root, "volumes")?.Keys.Cast<string>().ToHashSet() ?? [];
        var data = ComposeFile.List(postgres, "volumes").Select(v => v.ToString()!.Split(':'))
            .FirstOrDefault(v => v.Length >= 2 && v[1] == "/var/lib/postgresql/data");
        if (data is null || !declared.Contains(data[0])) yield return "postgres keeps /var/lib/postgresql/data on no named volume";
    }

    public static IEnumerable<string> ThreeSilosOnOneDatabase(ComposeFile compose)
    {
        var silos = compose.BuiltFrom(SiloDockerfile).ToList();
        if (silos.Count != 3) yield return $"{silos.Count} services built from {SiloDockerfile}, expected 3";
        var postgres = compose.Service(Postgres);
        var db = postgres is null ? new Dictionary<string, string>() : ComposeFile.Environment(postgres);
        var connections = new HashSet<string>();
        foreach (var (name, silo) in silos)
        {
            var env = ComposeFile.Environment(silo);
            if (!env.TryGetValue("ConnectionStrings__Postgres", out var cs) || string.IsNullOrWhiteSpace(cs)) { yield return $"{name}: no ConnectionStrings__Postgres"; continue; }
            connections.Add(cs);
            var parts = cs.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1] : "", StringComparer.OrdinalIgnoreCase);
            // The connection string must name the compose service and the credentials PostgreSQL was started with.
            foreach (var (key, expected) in new[] { ("Host", Postgres), ("Database", db.GetValueOrDefault("POSTGRES_DB")), ("Username", db.GetValueOrDefault("POSTGRES_USER")), ("Password", db.GetValueOrDefault("POSTGRES_PASSWORD")) })
                if (parts.GetValueOrDefault(key) != expected) yield return $"{name}: connection string {key}={parts.GetValueOrDefault(key)}, but postgres has {expected}";
            var condition = ComposeFile.Text(ComposeFile.Map(ComposeFile.Map(silo, "depends_on"), Postgres), "condition");
            if (condition != "service_healthy") yield return $"{name}: does not wait for postgres to be healthy (depends_on condition {condition ?? "missing"})";
        }
        if (connections.Count > 1) yield return $"the silos use {connections.Count} different connection strings, expected one";
        foreach (var setting in new[] { "Orleans__ClusterId", "Orleans__ServiceId" })
            if (silos.Select(s => ComposeFile.Environment(s.Service).GetValueOrDefault(setting)).Distinct().Count() > 1)
                yield return $"the silos disagree on {setting}";
    }

    /// <summary>Each silo its own name, address and ports, each port published under the same number (so that what the
    /// membership table advertises is what a client on the host dials), and no host port twice.</summary>
    public static IEnumerable<string> SilosHaveTheirOwnPortsAndAddresses(ComposeFile compose)
    {
        var silos = compose.BuiltFrom(SiloDockerfile).ToList();
        var hostPorts = new List<int>();
        foreach (var setting in new[] { "Orleans__SiloName", "Orleans__AdvertisedIPAddress", "Orleans__SiloPort", "Orleans__GatewayPort", "ASPNETCORE_HTTP_PORTS" })
        {
            var values = silos.Select(s => ComposeFile.Environment(s.Service).GetValueOrDefault(setting)).ToList();
            if (values.Any(v => v is null)) yield return $"{setting} is not set on every silo";
            else if (values.Distinct().Count() != values.Count) yield return $"{setting} is the same on two silos ({string.Join(", ", values)})";
        }
        var subnets = ComposeFile.Map(compose.Root, "networks")?.ToDictionary(n => (string)n.Key,
            n => ComposeFile.List(ComposeFile.Map(n.Value as Dictionary<object, object>, "ipam"), "config").OfType<Dictionary<object, object>>()
                .Select(c => ComposeFile.Text(c, "subnet")).FirstOrDefault()) ?? [];
        foreach (var (name, silo) in silos)
        {
            var env = ComposeFile.Environment(silo);
            var published = ComposeFile.Ports(silo);
            hostPorts.AddRange(published.Select(p => p.Host));
            foreach (var setting in new[] { "Orleans__SiloPort", "Orleans__GatewayPort", "ASPNETCORE_HTTP_PORTS" })
                if (env.TryGetValue(setting, out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out var port) && !published.Contains((port, port)))
                    yield return $"{name}: {setting} {port} is not published as {port}:{port}";
            // Orleans advertises an IP address, so each silo needs a fixed one on the compose network, inside its subnet.
            var advertised = env.GetValueOrDefault("Orleans__AdvertisedIPAddress");
            var networks = ComposeFile.Map(silo, "networks") ?? [];
            var match = networks.Select(n => ((string)n.Key, ComposeFile.Text(n.Value as Dictionary<object, object>, "ipv4_address")))
                .FirstOrDefault(n => n.Item2 == advertised);
            if (advertised is null || match.Item1 is null) yield return $"{name}: advertises {advertised ?? "nothing"}, which is not its ipv4_address on a compose network";
            else if (subnets.GetValueOrDefault(match.Item1) is not { } subnet || !ComposeFile.InSubnet(advertised, subnet))
                yield return $"{name}: {advertised} is outside network {match.Item1}'s subnet";
        }
        var twice = hostPorts.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (twice.Count > 0) yield return $"host ports published twice: {string.Join(", ", twice)}";
    }

    public static IEnumerable<string> SilosStopGracefully(ComposeFile compose)
    {
        foreach (var (name, silo) in compose.BuiltFrom(SiloDockerfile))
        {
            var timeout = ComposeFile.Environment(silo).GetValueOrDefault("Orleans__ShutdownTimeout");
            var grace = ComposeFile.Text(silo, "stop_grace_period");
            if (timeout is null || !TimeSpan.TryParse(timeout, CultureInfo.InvariantCulture, out var shutdown)) yield return $"{name}: Orleans__ShutdownTimeout not set";
            // Compose kills a container 10 s after SIGTERM unless told otherwise.
            else if ((grace is null ? TimeSpan.FromSeconds(10) : ComposeFile.Duration(grace)) <= shutdown)
                yield return $"{name}: stop_grace_period {grace ?? "10s (default)"} is not longer than Orleans__ShutdownTimeout {timeout}";
        }
    }

    public static IEnumerable<string> CliIsAnOptionalProfile(ComposeFile compose)
    {
        var clis = compose.BuiltFrom(CliDockerfile).ToList();
        if (clis.Count != 1) yield return $"{clis.Count} services built from {CliDockerfile}, expected 1";
        foreach (var (name, cli) in clis)
        {
            if (ComposeFile.List(cli, "profiles").Count == 0) yield return $"{name}: no profile, so `docker compose up` would run it too";
            // Its default command's gateways must be the silos' services on their gateway ports.
            var command = ComposeFile.List(cli, "command").Select(w => w.ToString()!).ToList();
            var gateways = command.SkipWhile(w => w != "--gateway").Skip(1).FirstOrDefault()?.Split(',') ?? [];
            var silos = compose.BuiltFrom(SiloDockerfile).ToDictionary(s => s.Name, s => ComposeFile.Environment(s.Service).GetValueOrDefault("Orleans__GatewayPort"));
            foreach (var gateway in gateways)
                if (gateway.Split(':') is not [var host, var port] || silos.GetValueOrDefault(host) != port)
                    yield return $"{name}: --gateway {gateway} is not a silo service on its gateway port";
        }
    }

    public static IEnumerable<string> BuildsFromExistingDockerfiles(ComposeFile compose)
    {
        foreach (var (name, service) in compose.Services.Select(s => ((string)s.Key, (Dictionary<object, object>)s.Value)))
            if (ComposeFile.DockerfileOf(service) is { } dockerfile && !File.Exists(Repository.PathOf(dockerfile)))
                yield return $"{name}: builds from {dockerfile}, which does not exist";
    }
}
