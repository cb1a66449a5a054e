using SynergAI.Grains;

namespace SynergAI.Silo.Operating;

/// <summary>The small JSON API under <c>/api</c> that the web view's data comes from: reads for viewers; submit, cancel,
/// register and configure for operators. Bad input answers 400 with the one-line error the SDK gives.</summary>
public static class Api
{
    public static void MapSynergAiApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Access.Viewer);
        api.MapGet("/pools", async (ControlPlaneView view) =>
            await Task.WhenAll((await view.PoolsAsync()).Select(p => view.Client.GetPoolAsync(p))));
        api.MapGet("/pools/{pool}", (string pool, ControlPlaneView view) => view.Client.GetPoolAsync(pool));
        api.MapGet("/pools/{pool}/workers", (string pool, ControlPlaneView view) => view.Client.ListWorkersAsync(pool));
        api.MapGet("/pools/{pool}/jobs", async (string pool, JobState? state, int? page, int? pageSize, ControlPlaneView view) =>
        {
            var (jobs, total) = await view.JobsAsync(pool, state, page ?? 1, Math.Clamp(pageSize ?? 50, 1, 500));
            return new { total, page = page ?? 1, jobs };
        });
        api.MapGet("/jobs/{id}", async (string id, ControlPlaneView view) =>
            await view.Client.GetAsync(id) is { } job ? Results.Ok(job) : Results.NotFound(new { error = $"unknown job '{id}'" }));

        var operate = api.MapGroup("").RequireAuthorization(Access.Operator);
        operate.MapPost("/pools/{pool}/jobs", (string pool, JobSpec spec, string? id, ControlPlaneView view) =>
            Guarded(() => view.Client.SubmitAsync(spec, id, pool)));
        operate.MapPost("/jobs/{id}/cancel", (string id, ControlPlaneView view) => Guarded(() => view.Client.CancelAsync(id)));
        operate.MapPut("/pools/{pool}/settings", (string pool, PoolSettings settings, ControlPlaneView view) =>
            Guarded(() => view.Client.ConfigurePoolAsync(pool, settings)));
    }

    static async Task<IResult> Guarded<T>(Func<Task<T>> call)
    {
        try { return Results.Ok(await call()); }
        catch (Exception e) when (e is SynergAiException or ArgumentException or InvalidOperationException)
        {
            // The SDK's typed errors, as HTTP says them.
            var status = e switch
            {
                UnknownJobException => StatusCodes.Status404NotFound,
                JobConflictException => StatusCodes.Status409Conflict,
                SynergAiException { IsTransient: true } => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status400BadRequest,
            };
            return Results.Json(new { error = e.Message }, statusCode: status);
        }
    }
}
