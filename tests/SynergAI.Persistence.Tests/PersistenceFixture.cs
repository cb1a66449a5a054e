using System.Reflection;
using Npgsql;
using Orleans.Configuration;
using Orleans.TestingHost;
using SynergAI.Grains.Persistence;

// One PostgreSQL server for the whole assembly; tests inside the collection run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SynergAI.Persistence.Tests;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PersistenceFixture>
{
    public const string Name = "postgres";
}

/// <summary>
/// Starts one throwaway PostgreSQL server for the collection, creates the <c>synergai</c> database with the project's
/// schema, and (on first use) a two-silo <see cref="InProcessTestCluster"/> that uses the real Orleans ADO.NET
/// providers on it: clustering (the real membership table, not the test cluster's in-memory one), grain storage
/// <see cref="Storage"/> and reminders.
/// </summary>
public sealed class PersistenceFixture : IAsyncLifetime
{
    public const string Storage = "synergai";
    public const string Invariant = "Npgsql";

    readonly SemaphoreSlim _clusterGate = new(1, 1);
    InProcessTestCluster? _cluster;
    PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    /// <summary>The database the cluster uses, with the schema applied.</summary>
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartNewAsync();
        ConnectionString = await _server.CreateDatabaseAsync("synergai");
        await PostgresSchema.EnsureAsync(ConnectionString);
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>The shared two-silo cluster, started on first use.</summary>
    public async Task<InProcessTestCluster> ClusterAsync()
    {
        await _clusterGate.WaitAsync();
        try
        {
            if (_cluster is not null) return _cluster;
            var builder = new InProcessTestClusterBuilder(2);
            UseRealMembership(builder.Options);
            builder.Options.ConfigureFileLogging = false;
            var cs = ConnectionString;
            builder.ConfigureSilo((_, silo) =>
            {
                silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = cs; });
                silo.AddAdoNetGrainStorage(Storage, o => { o.Invariant = Invariant; o.ConnectionString = cs; });
                silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = cs; });
                silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            });
            builder.ConfigureClient(client => client.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = cs; }));
            var cluster = builder.Build();
            try
            {
                await cluster.DeployAsync();
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
            return _cluster = cluster;
        }
        finally
        {
            _clusterGate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            try { await _cluster.StopAllSilosAsync(); }
            finally { await _cluster.DisposeAsync(); }
        }
        if (DataSource is not null) await DataSource.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        _clusterGate.Dispose();
    }

    /// <summary>InProcessTestClusterBuilder substitutes an in-memory membership table (and grain directory) unless its
    /// internal UseTestClusterMembership option is off; there is no public switch in 10.4.2.</summary>
    static void UseRealMembership(InProcessTestClusterOptions options)
    {
        var property = typeof(InProcessTestClusterOptions).GetProperty("UseTestClusterMembership", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("InProcessTestClusterOptions.UseTestClusterMembership no longer exists: the test cluster would not use the ADO.NET membership table.");
        property.SetValue(options, false);
    }
}
