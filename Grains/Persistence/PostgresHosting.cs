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
        var history = ForPool(connectionString, HistoryConnections, multiplexing: true);
        var storage = ForPool(connectionString, ProviderConnections, multiplexing: true);
        connectionString = ForPool(connectionString, ProviderConnections, multiplexing: false);
        silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddAdoNetGrainStorage(inner, o => { o.Invariant = Invariant; o.ConnectionString = storage; });
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Grains, (services, _) => new ResilientGrainStorage(
            services.GetRequiredKeyedService<IGrainStorage>(inner), services.GetRequiredService<ILogger<ResilientGrainStorage>>()));
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(history));
        silo.Services.AddSingleton<IJobHistory, PostgresJobHistorySink>();
        return silo;
    }

    /// <summary>Connections one silo opens at most per Npgsql pool — the Orleans providers' grain storage; their
    /// clustering and reminders; the job history — unless the connection string sets <c>Maximum Pool Size</c> itself.
    /// Npgsql's default of 100 per pool would let one busy silo take every connection of a default PostgreSQL server
    /// (<c>max_connections</c> 100), after which new connections fail instead of waiting their turn.</summary>
    public const int ProviderConnections = 20, HistoryConnections = 10;

    /// <summary>
    /// The connection string of one of the silo's pools: <c>Maximum Pool Size</c> = <paramref name="limit"/>, and
    /// Npgsql's <c>Multiplexing</c> as given, each unless the string sets it. Multiplexed, the many small statements of
    /// concurrent grains share connections and network writes instead of each renting a connection for a round trip
    /// (README "Performance"). Only grain storage and the job history multiplex: their statements never wait on a lock
    /// another silo holds for long (one grain, one writer), while the membership table's transactions may, and a
    /// statement that waits on a multiplexed connection holds up every statement queued behind it there.
    /// </summary>
    public static string ForPool(string connectionString, int limit, bool multiplexing)
    {
        var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!keys.ContainsKey("Maximum Pool Size")) builder.MaxPoolSize = limit;
        if (!keys.ContainsKey("Multiplexing")) builder.Multiplexing = multiplexing;
        return builder.ConnectionString;
    }
}
