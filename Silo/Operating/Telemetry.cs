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
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        return builder;
    }

    public static IEndpointConventionBuilder MapSynergAiMetrics(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath);
}
