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
        var history = ForSilo(connectionString, HistoryConnections);
        connectionString = ForSilo(connectionString, ProviderConnections);
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

    /// <summary>
    /// The connection string one of the silo's pools uses: <c>Maximum Pool Size</c> = <paramref name="limit"/> and
    /// <c>Multiplexing</c> on, each unless the string sets it. With Npgsql's multiplexing the many small statements of
    /// concurrent grains share connections and network writes instead of each renting a connection for one round trip:
    /// it took one silo's submissions on PostgreSQL from about 1,550 to 2,200 per second (README "Performance"). Nothing
    /// on these pools holds session state (the schema's advisory lock is taken on a connection of its own).
    /// </summary>
    public static string ForSilo(string connectionString, int limit)
    {
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!keys.ContainsKey("Maximum Pool Size")) builder.MaxPoolSize = limit;
        if (!keys.ContainsKey("Multiplexing")) builder.Multiplexing = true;
        return builder.EquivalentTo(given) ? connectionString : builder.ConnectionString;
    }
}
