using Orleans.Dashboard;
using SynergAI.Silo.Web;

namespace SynergAI.Silo.Operating;

/// <summary>What an operator meets over HTTP: metrics, health, access control, the web view and its JSON API, and
/// Orleans' own dashboard (cluster and grain statistics) at <c>/dashboard</c> when <c>Operating:Dashboard</c> is true —
/// off by default: it profiles every grain call, which cost about half again as much CPU per submission in
/// <c>bench control-plane</c> (README "Operating").</summary>
public static class Operating
{
    public const string DashboardPath = "/dashboard";
    static bool DashboardOn(IConfiguration configuration) => configuration.GetValue("Operating:Dashboard", false);
    /// <summary><c>Operating:Metrics</c> (default true): OpenTelemetry and <c>/metrics</c>; false measures their overhead.</summary>
    static bool MetricsOn(IConfiguration configuration) => configuration.GetValue("Operating:Metrics", true);

    public static bool DashboardEnabled(IConfiguration configuration) => DashboardOn(configuration);

    public static WebApplicationBuilder AddSynergAiOperating(this WebApplicationBuilder builder)
    {
        if (DashboardOn(builder.Configuration)) builder.UseOrleans(silo => silo.AddDashboard()); // the same silo builder, configured once more
        builder.AddSynergAiClusterTls();
        if (MetricsOn(builder.Configuration)) builder.AddSynergAiTelemetry();
        builder.AddSynergAiAccess();
        builder.Services.AddHealthChecks().AddSynergAiReadiness();
        builder.Services.AddSingleton<ControlPlaneView>();
        builder.Services.AddSingleton<PoolHistory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PoolHistory>());
        builder.Services.AddRazorComponents();
        return builder;
    }

    public static WebApplication MapSynergAiOperating(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSynergAiHealth();
        if (MetricsOn(app.Configuration)) app.MapSynergAiMetrics().RequireAuthorization(Access.Viewer);
        app.MapSynergAiApi();
        if (DashboardOn(app.Configuration)) app.MapOrleansDashboard(DashboardPath).RequireAuthorization(Access.Viewer);
        app.UseAntiforgery();
        app.MapRazorComponents<App>().RequireAuthorization(Access.Viewer);
        app.LogAccess();
        return app;
    }
}
