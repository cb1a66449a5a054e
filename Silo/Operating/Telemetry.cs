using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SynergAI.Grains.Telemetry;

namespace SynergAI.Silo.Operating;

/// <summary>Metrics through OpenTelemetry: the control plane's meter <c>SynergAI</c>, and on request Orleans' own
/// <c>Microsoft.Orleans</c> (<c>Operating:OrleansMetrics</c>) and ASP.NET Core's and the .NET runtime's
/// (<c>Operating:RuntimeMetrics</c>); scraped at <c>/metrics</c> (Prometheus text) and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard OpenTelemetry variable), pushed over OTLP too.
/// <para>Both are off by default for their cost: in <c>bench control-plane</c> (7 alternating runs each, medians) the
/// <c>SynergAI</c> meter alone cost about 1% of submissions per second against no metrics, Orleans' meter 7%, the
/// runtime and ASP.NET Core instrumentation 5%, all three 17% (README "Operating").</para></summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";
    const string OrleansMeter = "Microsoft.Orleans";

    public static WebApplicationBuilder AddSynergAiTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("synergai-silo"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SynergAiMetrics.MeterName);
                if (configuration.GetValue("Operating:OrleansMetrics", false))
                    metrics.AddMeter(OrleansMeter)
                        .AddView(instrument => instrument.Meter.Name == OrleansMeter && PerMessage(instrument.Name) ? MetricStreamConfiguration.Drop : null);
                if (configuration.GetValue("Operating:RuntimeMetrics", false))
                    metrics.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation();
                // No response cache (the exporter's default is 300 ms): a scrape right after a change shows it.
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
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
