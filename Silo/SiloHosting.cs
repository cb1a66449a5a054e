using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using SynergAI.Grains;
using SynergAI.Grains.Persistence;

namespace SynergAI.Silo;

/// <summary>Where the silo listens and which cluster it joins (configuration section <c>Orleans</c>).</summary>
public sealed class OrleansEndpointOptions
{
    public const int DefaultSiloPort = 11111;

    public int SiloPort { get; set; } = DefaultSiloPort;
    public int GatewayPort { get; set; } = 30000;
    /// <summary>For several silos on one machine: the silo port of the first one, which the others join. 0 = this one is first.</summary>
    public int PrimarySiloPort { get; set; }
    public string ClusterId { get; set; } = "synergai";
    public string ServiceId { get; set; } = "synergai";
    /// <summary>The address this silo publishes in the membership table for other silos and clients (with PostgreSQL
    /// clustering). Default 127.0.0.1: several silos on one machine.</summary>
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";
    /// <summary>The name this silo shows in the membership table; a pod sets its pod name. Empty: Orleans' own
    /// (unique per process, so several silos on one machine stay apart).</summary>
    public string? SiloName { get; set; }
    /// <summary>Listen on every interface rather than only the advertised address: in a container, so that
    /// <c>kubectl port-forward</c> (which connects to the pod's localhost) reaches the gateway. Off by default: a
    /// developer machine keeps its silos to itself.</summary>
    public bool ListenOnAnyHostAddress { get; set; }
    /// <summary>How long a stopping silo may take to hand off its grains and leave the cluster
    /// (<c>HostOptions.ShutdownTimeout</c>); a pod's <c>terminationGracePeriodSeconds</c> must be longer. Default: .NET's 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Without PostgreSQL: allow several silos on in-memory storage, accepting that a silo that stops takes the
    /// jobs and workers it held with it (see <see cref="StartupChecks.InMemoryClusterProblems"/>).</summary>
    public bool AcceptInMemoryStateLoss { get; set; }

    public IEnumerable<string> Problems()
    {
        if (!IPAddress.TryParse(AdvertisedIPAddress, out _)) yield return $"Orleans:AdvertisedIPAddress must be an IP address, got '{AdvertisedIPAddress}'";
        foreach (var (name, port) in new[] { ("SiloPort", SiloPort), ("GatewayPort", GatewayPort) })
            if (port is < 1 or > 65535) yield return $"Orleans:{name} must be a port number 1-65535, got {port}";
        if (SiloPort == GatewayPort) yield return $"Orleans:SiloPort and Orleans:GatewayPort must differ (both {SiloPort})";
        if (PrimarySiloPort is < 0 or > 65535) yield return $"Orleans:PrimarySiloPort must be 0 or a port number, got {PrimarySiloPort}";
        if (string.IsNullOrWhiteSpace(ClusterId) || string.IsNullOrWhiteSpace(ServiceId)) yield return "Orleans:ClusterId and Orleans:ServiceId must not be empty";
        if (ShutdownTimeout <= TimeSpan.Zero) yield return $"Orleans:ShutdownTimeout must be positive, got {ShutdownTimeout}";
    }
}

public static class SiloHosting
{
    /// <summary>The setting that switches the silo to PostgreSQL (environment <c>ConnectionStrings__Postgres</c>).</summary>
    public const string PostgresConnectionName = "Postgres";

    /// <summary>The embedded default: one silo on localhost clustering with in-memory grain storage, the control plane
    /// and its testbed. Several silos on one machine form a cluster when each gets its own ports and the first one's
    /// silo port as <c>Orleans:PrimarySiloPort</c>.</summary>
    public static WebApplicationBuilder AddSynergAiSilo(this WebApplicationBuilder builder)
    {
        // Checked before anything starts, so bad settings stop start-up with their messages alone.
        var endpoint = Read<OrleansEndpointOptions>(builder.Configuration, "Orleans");
        var problems = endpoint.Problems().ToList();
        var synergai = Read<SynergAiOptions>(builder.Configuration, SynergAiOptions.Section);
        problems.AddRange(new SynergAiOptionsValidator().Validate(null, synergai).Failures ?? []);
        var postgres = builder.Configuration.GetConnectionString(PostgresConnectionName);
        if (problems.Count == 0)
        {
            if (string.IsNullOrWhiteSpace(postgres)) problems.AddRange(StartupChecks.InMemoryClusterProblems(endpoint));
            problems.AddRange(StartupChecks.TakenPorts(endpoint, builder.Configuration));
        }
        if (problems.Count > 0) throw new SettingsException(problems);

        if (!string.IsNullOrWhiteSpace(postgres))
            EnsureSchema(postgres);

        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = endpoint.ShutdownTimeout;
            // The web server starts beside the silo rather than after it (the host's default order), so that while the
            // silo is still joining its cluster, liveness answers and readiness says why it is not ready.
            o.ServicesStartConcurrently = true;
        });
        builder.UseOrleans(silo =>
        {
            if (!string.IsNullOrWhiteSpace(endpoint.SiloName)) silo.Configure<SiloOptions>(o => o.SiloName = endpoint.SiloName);
            if (string.IsNullOrWhiteSpace(postgres))
            {
                silo.UseLocalhostClustering(endpoint.SiloPort, endpoint.GatewayPort,
                    endpoint.PrimarySiloPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, endpoint.PrimarySiloPort),
                    endpoint.ServiceId, endpoint.ClusterId);
                // Orleans' binary serializer rather than the default JSON: in-memory state never outlives the process, so
                // no stored format is at stake, and JSON was the largest single cost of a submission (README "Performance").
                silo.AddMemoryGrainStorage(StorageNames.Grains, options => options.Configure<Orleans.Serialization.Serializer>(
                    (o, serializer) => o.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer)));
            }
            else
            {
                UsePostgres(silo, postgres, endpoint);
            }
            silo.AddSynergAiControlPlane(builder.Configuration);
        });
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("control-plane", tags: ["ready"]);
        return builder;
    }

    /// <summary>Creates or upgrades the schema before the host starts: the Orleans providers read <c>OrleansQuery</c>
    /// once, at start-up. An unusable connection string or unreachable server stops start-up like any bad setting.</summary>
    static void EnsureSchema(string connectionString)
    {
        IReadOnlyList<SchemaMigration> applied;
        try
        {
            applied = PostgresSchema.EnsureAsync(connectionString).GetAwaiter().GetResult();
        }
        catch (PostgresSchemaException e)
        {
            throw new SettingsException([$"ConnectionStrings:{PostgresConnectionName}: {e.Message}"]);
        }
        foreach (var migration in applied) Console.WriteLine($"synergai silo: schema: applied {migration}");
    }

    /// <summary>PostgreSQL clustering (the membership table), grain storage and reminders through the Orleans ADO.NET
    /// providers, on the schema <see cref="PostgresSchema"/> maintains.</summary>
    static void UsePostgres(ISiloBuilder silo, string connectionString, OrleansEndpointOptions endpoint)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = endpoint.ClusterId;
            o.ServiceId = endpoint.ServiceId;
        });
        silo.Configure<EndpointOptions>(o =>
        {
            o.AdvertisedIPAddress = IPAddress.Parse(endpoint.AdvertisedIPAddress);
            o.SiloPort = endpoint.SiloPort;
            o.GatewayPort = endpoint.GatewayPort;
            if (endpoint.ListenOnAnyHostAddress)
            {
                o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, endpoint.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, endpoint.GatewayPort);
            }
        });
        silo.AddSynergAiPostgres(connectionString);
        silo.Configure<ClusterMembershipOptions>(TuneFailureDetection);
        silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = DeadSiloLease());
    }

    /// <summary>
    /// How long the grain directory keeps a dead silo's grains from being activated elsewhere, counted (by Orleans) from
    /// the failure detection window before the silo was declared dead: that window plus one table refresh, so the hold
    /// ends about 2 s after the declaration. The hold guards against a silo declared dead that still runs; such a silo
    /// reads its own death from the table within a refresh and stops. Orleans' default (30 s) held every grain of a
    /// killed silo for 10 s after its declaration with this failure detection, and every lost attempt waited as long.
    /// </summary>
    internal static TimeSpan DeadSiloLease()
    {
        var membership = new ClusterMembershipOptions();
        TuneFailureDetection(membership);
        return membership.MaxProbeTimeout * membership.NumMissedProbesLimit + membership.TableRefreshTimeout;
    }

    /// <summary>
    /// Declares a dead silo dead in seconds instead of Orleans' default of about 15 s, without evicting a live one that
    /// is merely slow. In Orleans 10 each silo probes its monitored silos about once per (adaptive) probe timeout,
    /// bounded by <c>MinProbeTimeout</c> (default ProbeTimeout/2) and <c>MaxProbeTimeout</c>. A killed process refuses
    /// connections at once, so 4 missed probes about 0.5 s apart make it suspected in about 2 s; a host that vanishes
    /// (probes time out at 1 s) in about 4-5 s. Under load the timeout adapts up to 5 s, so a live silo must stay silent
    /// for many seconds before it is suspected: with 1 s and 3 misses (3 s at most), a survivor was once evicted
    /// during the recovery burst of the kill -9 test on 2 cores — and with two silos left one vote is enough (Orleans
    /// requires min(2, half the active silos rounded up)). Suspicion and death are written to the table and gossiped;
    /// the 2 s table refresh is the fallback for a missed gossip. Heartbeats (IAmAlive) only mark stale rows, so 5 s is
    /// plenty and keeps table writes low.
    /// </summary>
    internal static void TuneFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);             // default 5 s
        o.MaxProbeTimeout = TimeSpan.FromSeconds(5);          // default 4 x ProbeTimeout; how far the timeout adapts under load
        o.NumMissedProbesLimit = 4;                           // default 3
        o.NumVotesForDeathDeclaration = 2;                    // default 2
        o.TableRefreshTimeout = TimeSpan.FromSeconds(2);      // default 60 s
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5); // default 30 s
    }

    static T Read<T>(IConfiguration configuration, string section) where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            throw new SettingsException([e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})"]);
        }
    }

    sealed class ReadinessCheck(ControlPlaneReadiness readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(readiness.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("registering the testbed"));
    }
}

/// <summary>Bad settings: start-up stops with these messages.</summary>
public sealed class SettingsException(IReadOnlyList<string> problems) : Exception(string.Join("; ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
