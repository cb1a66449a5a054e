using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SynergAI.Grains.Telemetry;

namespace SynergAI.Silo.Operating;

/// <summary>Metrics through OpenTelemetry: the control plane's meter <c>SynergAI</c>, Orleans' own
/// <c>Microsoft.Orleans</c>, ASP.NET Core's and the .NET runtime's; scraped at <c>/metrics</c> (Prometheus text) and,
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard OpenTelemetry variable), pushed over OTLP too.</summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";
    const string OrleansMeter = "Microsoft.Orleans";

    public static WebApplicationBuilder AddSynergAiTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("synergai-silo"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SynergAiMetrics.MeterName, OrleansMeter)
                    .AddView(instrument => instrument.Meter.Name == OrleansMeter && PerMessage(instrument.Name) ? MetricStreamConfiguration.Drop : null)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    // No response cache (the exporter's default is 300 ms): a scrape right after a change shows it.
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp) metrics.AddOtlpExporter();
            });
        return builder;
    }

    /// <summary>Orleans' instruments that record on every message or directory lookup. Listening to them cost about a
    /// third more CPU per submission in <c>bench control-plane</c> (README "Operating"), so they are not enabled; the
    /// rest of Orleans' meter (activations, storage, membership, gateway clients, …) is.</summary>
    static bool PerMessage(string instrument)
    {
        var name = instrument.Replace('-', '_').Replace('.', '_');
        return name.StartsWith("orleans_messaging_", StringComparison.Ordinal) || name.StartsWith("orleans_directory_lookups", StringComparison.Ordinal)
            || name.StartsWith("orleans_app_requests", StringComparison.Ordinal) || name.StartsWith("orleans_gateway_sent", StringComparison.Ordinal)
            || name.StartsWith("orleans_gateway_received", StringComparison.Ordinal);
    }

    public static IEndpointConventionBuilder MapSynergAiMetrics(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath);
}
