using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Storage;

namespace SynergAI.Grains.Persistence;

public static class PostgresHosting
{
    /// <summary>ADO.NET invariant name of Npgsql for the Orleans providers.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>PostgreSQL for clustering (the membership table), grain storage and reminders through the Orleans
    /// ADO.NET providers, on the schema <see cref="PostgresSchema"/> maintains (which must exist before the silo
    /// starts), and the job history table. Grain storage <see cref="StorageNames.Grains"/> retries transient database errors
    /// (<see cref="ResilientGrainStorage"/>).</summary>
    public static ISiloBuilder AddSynergAiPostgres(this ISiloBuilder silo, string connectionString)
    {
        const string inner = StorageNames.Grains + "-adonet";
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage(inner, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Grains, (services, _) => new ResilientGrainStorage(
            services.GetRequiredKeyedService<IGrainStorage>(inner), services.GetRequiredService<ILogger<ResilientGrainStorage>>()));
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        silo.Services.AddSingleton<IJobHistory, PostgresJobHistorySink>();
        return silo;
    }
}
