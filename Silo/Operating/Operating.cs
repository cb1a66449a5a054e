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
        return builder;
    }

    public static WebApplication MapSynergAiOperating(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapSynergAiHealth();
        app.MapSynergAiMetrics().RequireAuthorization(Access.Viewer);
        app.MapSynergAiApi();
        app.LogAccess();
        return app;
    }
}
