using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using SynergAI.Grains;

namespace SynergAI.Silo.Operating;

/// <summary>
/// Health through ASP.NET Core's health checks. Liveness (<c>/health/live</c>) runs no check: the process answers.
/// Readiness (<c>/health/ready</c>, open for probes) is every check tagged <c>ready</c>, each of which must hold (the web
/// server starts beside the silo, so both answer while the silo is still joining its cluster):
/// <list type="bullet">
/// <item><c>control-plane</c>: the silo registered its testbed (the start-up task ran);</item>
/// <item><c>membership</c>: this silo is Active in the cluster's membership (it has joined and is not leaving);</item>
/// <item><c>storage</c>: with PostgreSQL, a query answers within 2 s (in-memory storage: always);</item>
/// <item><c>pool-workers</c>: the pool this silo serves (<c>SynergAI:Pool</c>) has at least one worker that can run an
/// engine — with none, every submission would be refused.</item>
/// </list>
/// <c>/health</c> (authenticated, viewer) answers every check's status and description as JSON.
/// </summary>
public static class Health
{
    public const string LivePath = "/health/live", ReadyPath = "/health/ready", DetailPath = "/health";
    static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static IHealthChecksBuilder AddSynergAiReadiness(this IHealthChecksBuilder checks) => checks
        .AddCheck<MembershipCheck>("membership", tags: ["ready"])
        .AddCheck<StorageCheck>("storage", tags: ["ready"])
        .AddCheck<PoolWorkersCheck>("pool-workers", tags: ["ready"]);

    public static void MapSynergAiHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapHealthChecks(DetailPath, new HealthCheckOptions { ResponseWriter = WriteJson }).RequireAuthorization(Access.Viewer);
    }

    static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            duration_ms = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                error = e.Value.Exception?.Message,
            }),
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    sealed class MembershipCheck(ILocalSiloDetails silo, IClusterMembershipService membership) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            return Task.FromResult(status switch
            {
                SiloStatus.Active => HealthCheckResult.Healthy($"silo {silo.SiloAddress} is active in the cluster"),
                SiloStatus.None or SiloStatus.Created or SiloStatus.Joining =>
                    HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} has not joined the cluster yet ({status})"),
                _ => HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} is {status} in the cluster's membership, not active"),
            });
        }
    }

    sealed class StorageCheck(IConfiguration configuration) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var connectionString = configuration.GetConnectionString(SiloHosting.PostgresConnectionName);
            if (string.IsNullOrWhiteSpace(connectionString)) return HealthCheckResult.Healthy("in-memory storage");
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(CheckTimeout);
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(timeout.Token);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(timeout.Token);
                return HealthCheckResult.Healthy("PostgreSQL answers");
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL cannot be reached", e);
            }
        }
    }

    sealed class PoolWorkersCheck(IGrainFactory grains, IOptions<SynergAiOptions> options, ILocalSiloDetails silo,
        IClusterMembershipService membership) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var pool = options.Value.Pool;
            // No grain call before the silo is active: it could not be answered yet, and probes come every few seconds.
            if (membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress) != SiloStatus.Active)
                return HealthCheckResult.Unhealthy($"pool '{pool}' not asked: this silo is not active in the cluster yet");
            try
            {
                var view = await grains.GetGrain<IPoolDispatchGrain>(pool).GetView().WaitAsync(CheckTimeout, cancellationToken);
                var workers = view.Workers.Count(w => w.Engines.Length > 0);
                return workers > 0
                    ? HealthCheckResult.Healthy($"pool '{pool}' has {workers} worker(s)")
                    : HealthCheckResult.Unhealthy($"pool '{pool}' has no worker: every submission would be refused");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy($"pool '{pool}' did not answer within {CheckTimeout.TotalSeconds:0} s", e);
            }
        }
    }
}
