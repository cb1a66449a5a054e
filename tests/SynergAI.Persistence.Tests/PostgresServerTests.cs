using Npgsql;

namespace SynergAI.Persistence.Tests;

/// <summary>The throwaway server itself: restart keeps port and data, dispose leaves nothing behind. Uses its own
/// server so the shared one (and the cluster on it) is not disturbed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests
{
    [Fact]
    public async Task Restart_keeps_port_and_data_and_dispose_removes_everything()
    {
        var server = await PostgresServer.StartNewAsync();
        var root = server.Root;
        int? pid;
        try
        {
            var port = server.Port;
            await Execute(server.ConnectionString, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')");

            await server.StopAsync();
            Assert.False(server.IsRunning);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => Execute(server.ConnectionString + ";Pooling=false;Timeout=2", "SELECT 1"));

            await server.StartAsync();
            await server.RestartAsync();

            Assert.Equal(port, server.Port);
            Assert.Equal("before restart", await Scalar(server.ConnectionString, "SELECT v FROM kept"));
            pid = int.Parse(File.ReadLines(Path.Combine(server.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(Directory.Exists(root));
        Assert.False(PostgresServer.IsProcessRunning(pid.Value));
    }

    [Fact]
    public void Missing_binaries_say_which_package_to_install()
    {
        var error = Assert.Throws<InvalidOperationException>(() => PostgresServer.FindBinDirectory(["/nonexistent/postgresql/bin"]));

        Assert.Contains("install the Debian package postgresql", error.Message);
    }

    static async Task Execute(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    static async Task<object?> Scalar(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}

public sealed class ConnectionPoolLimitTests
{
    [Fact]
    public void A_silo_caps_its_pools_and_sets_their_multiplexing_unless_the_connection_string_says_otherwise()
    {
        var tuned = new Npgsql.NpgsqlConnectionStringBuilder(Grains.Persistence.PostgresHosting.ForPool("Host=db;Database=synergai;Username=u;Password=p", 20, multiplexing: true));
        Assert.Equal((20, true, "db", "synergai", "p"), (tuned.MaxPoolSize, tuned.Multiplexing, tuned.Host, tuned.Database, tuned.Password));
        Assert.False(new Npgsql.NpgsqlConnectionStringBuilder(Grains.Persistence.PostgresHosting.ForPool("Host=db", 20, multiplexing: false)).Multiplexing);

        var given = new Npgsql.NpgsqlConnectionStringBuilder(Grains.Persistence.PostgresHosting.ForPool("Host=db;Database=synergai;maximum pool size=7;Multiplexing=false", 20, multiplexing: true));
        Assert.Equal((7, false), (given.MaxPoolSize, given.Multiplexing));
    }
}
