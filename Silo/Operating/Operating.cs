using SynergAI.Silo.Web;

namespace SynergAI.Silo.Operating;

/// <summary>What an operator meets over HTTP: metrics, health, access control, the web view and its JSON API.</summary>
public static class Operating
{
    public static WebApplicationBuilder AddSynergAiOperating(this WebApplicationBuilder builder)
    {
        builder.AddSynergAiTelemetry();
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
        app.MapSynergAiMetrics().RequireAuthorization(Access.Viewer);
        app.MapSynergAiApi();
        app.UseAntiforgery();
        app.MapRazorComponents<App>().RequireAuthorization(Access.Viewer);
        app.LogAccess();
        return app;
    }
}
