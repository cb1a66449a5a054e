using System.Net;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SynergAI.Grains;

namespace SynergAI.Silo;

/// <summary>Where the silo listens and which cluster it joins (configuration section <c>Orleans</c>).</summary>
public sealed class OrleansEndpointOptions
{
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    /// <summary>For several silos on one machine: the silo port of the first one, which the others join. 0 = this one is first.</summary>
    public int PrimarySiloPort { get; set; }
    public string ClusterId { get; set; } = "synergai";
    public string ServiceId { get; set; } = "synergai";

    public IEnumerable<string> Problems()
    {
        foreach (var (name, port) in new[] { ("SiloPort", SiloPort), ("GatewayPort", GatewayPort) })
            if (port is < 1 or > 65535) yield return $"Orleans:{name} must be a port number 1-65535, got {port}";
        if (SiloPort == GatewayPort) yield return $"Orleans:SiloPort and Orleans:GatewayPort must differ (both {SiloPort})";
        if (PrimarySiloPort is < 0 or > 65535) yield return $"Orleans:PrimarySiloPort must be 0 or a port number, got {PrimarySiloPort}";
        if (string.IsNullOrWhiteSpace(ClusterId) || string.IsNullOrWhiteSpace(ServiceId)) yield return "Orleans:ClusterId and Orleans:ServiceId must not be empty";
    }
}

public static class SiloHosting
{
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
        if (problems.Count > 0) throw new SettingsException(problems);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(endpoint.SiloPort, endpoint.GatewayPort,
                endpoint.PrimarySiloPort == 0 ? null : new IPEndPoint(IPAddress.Loopback, endpoint.PrimarySiloPort),
                endpoint.ServiceId, endpoint.ClusterId);
            silo.AddMemoryGrainStorage(StorageNames.Grains);
            silo.AddSynergAiControlPlane(builder.Configuration);
        });
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("control-plane", tags: ["ready"]);
        return builder;
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

    /// <summary><c>/health/live</c>: the process answers. <c>/health/ready</c>: the silo is up and its testbed registered.</summary>
    public static WebApplication MapSynergAiHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
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
