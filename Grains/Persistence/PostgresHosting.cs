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
        var history = WithPoolLimit(connectionString, HistoryConnections);
        connectionString = WithPoolLimit(connectionString, ProviderConnections);
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage(inner, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Grains, (services, _) => new ResilientGrainStorage(
            services.GetRequiredKeyedService<IGrainStorage>(inner), services.GetRequiredService<ILogger<ResilientGrainStorage>>()));
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(history));
        silo.Services.AddSingleton<IJobHistory, PostgresJobHistorySink>();
        return silo;
    }

    /// <summary>Connections one silo opens at most for the Orleans providers (one Npgsql pool: clustering, storage,
    /// reminders) and for the job history, unless the connection string sets <c>Maximum Pool Size</c> itself. Npgsql's
    /// default of 100 per pool would let one busy silo take every connection of a default PostgreSQL server
    /// (<c>max_connections</c> 100), after which new connections fail instead of waiting their turn.</summary>
    public const int ProviderConnections = 20, HistoryConnections = 10;

    /// <summary>The connection string with <c>Maximum Pool Size</c> = <paramref name="limit"/> unless it sets one.</summary>
    public static string WithPoolLimit(string connectionString, int limit)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Maximum Pool Size"))
            return connectionString;
        builder.MaxPoolSize = limit;
        return builder.ConnectionString;
    }
}
