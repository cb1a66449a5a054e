using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace SynergAI.Persistence.Tests;

/// <summary>The real Orleans ADO.NET providers (clustering, grain storage, reminders) on the project's schema, in a
/// two-silo cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ProviderTests(PersistenceFixture fixture)
{
    [Fact]
    public async Task Both_silos_join_through_the_membership_table_and_the_client_finds_them_as_gateways()
    {
        var cluster = await fixture.ClusterAsync();

        var active = await WaitForAsync(() => MembersAsync(cluster.Options.ClusterId), rows => rows.Count(r => r.Status == 3) == 2, TimeSpan.FromSeconds(20));

        Assert.Equal(2, active.Count(r => r.Status == 3));
        Assert.All(active, r => Assert.True(r.ProxyPort > 0));
        Assert.True(await VersionAsync(cluster.Options.ClusterId) >= 2, "each join bumps the table version");
        var hosts = await cluster.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);
    }

    [Fact]
    public async Task A_grain_state_is_written_read_back_and_updated()
    {
        var cluster = await fixture.ClusterAsync();
        var grain = cluster.Client.GetGrain<IProbeGrain>("probe-roundtrip");

        var first = await grain.Write("alpha");
        var second = await grain.Write("beta");
        await grain.Deactivate();
        await cluster.WaitForDeactivationAsync(grain);
        var reloaded = await grain.Reload();

        Assert.Equal(("1", "2"), (first.ETag, second.ETag));
        Assert.Equal(new ProbeView("beta", 2, "2", true), reloaded);
        var row = Assert.Single(await StorageRowsAsync(cluster.Options.ServiceId, "probe-roundtrip"));
        Assert.Equal(("probe", 2), (row.StateName, row.Version));
        Assert.Contains("beta", row.Payload);

        var cleared = await grain.Clear();
        Assert.Equal(("3", false), (cleared.ETag, cleared.RecordExists));
        Assert.Equal(new ProbeView("gamma", 1, "4", true), await grain.Write("gamma"));
    }

    [Fact]
    public async Task A_writer_with_a_stale_etag_gets_InconsistentStateException()
    {
        var cluster = await fixture.ClusterAsync();
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(PersistenceFixture.Storage);
        var id = GrainId.Create("probe", "etag-conflict");
        var a = new GrainState<ProbeState>(new ProbeState { Value = "a1" });
        var b = new GrainState<ProbeState>(new ProbeState { Value = "b-first" });

        await storage.WriteStateAsync("probe", id, a);                     // first write: ETag 1
        Assert.Equal("1", a.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, b)); // b never read it

        await storage.ReadStateAsync("probe", id, b);                      // b: ETag 1
        a.State = new ProbeState { Value = "a2" };
        await storage.WriteStateAsync("probe", id, a);                     // a: ETag 2
        b.State = new ProbeState { Value = "b-stale" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe", id, b));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("probe", id, b));

        await storage.ReadStateAsync("probe", id, b);
        Assert.Equal(("a2", "2"), (b.State?.Value, b.ETag));
        b.State = new ProbeState { Value = "b3" };
        await storage.WriteStateAsync("probe", id, b);
        Assert.Equal("3", b.ETag);
    }

    [Fact]
    public async Task Two_grain_classes_with_the_same_key_keep_separate_states()
    {
        var cluster = await fixture.ClusterAsync();
        const string key = "shared-key";
        var probe = cluster.Client.GetGrain<IProbeGrain>(key);
        var other = cluster.Client.GetGrain<IOtherProbeGrain>(key);

        await probe.Write("probe value");
        await other.Add("x");
        await other.Add("y");
        await probe.Deactivate();
        await cluster.DeactivateAsync(other);

        Assert.Equal("probe value", (await probe.Reload()).Value);
        Assert.Equal(["x", "y"], await other.Reload());
        var rows = await StorageRowsAsync(cluster.Options.ServiceId, key);
        Assert.Equal(["other-probe", "probe"], rows.Select(r => r.StateName).Order());
    }

    [Fact]
    public async Task A_reminder_is_stored_read_back_fires_and_is_removed()
    {
        var cluster = await fixture.ClusterAsync();
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>("reminder-probe");
        var grainId = grain.GetGrainId();
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();

        await grain.Register("slow", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        await grain.Register("slow", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10)); // update → version 1
        await grain.Register("fast", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        Assert.True(await grain.Has("slow"));
        Assert.Equal(["fast", "slow"], await grain.All());
        var slow = await table.ReadRow(grainId, "slow");
        Assert.NotNull(slow);
        Assert.Equal((TimeSpan.FromMinutes(10), "1"), (slow.Period, slow.ETag));
        var hash = grainId.GetUniformHashCode();
        Assert.Contains((await table.ReadRows(hash - 1, hash)).Reminders, r => r.GrainId == grainId);      // (hash-1, hash]
        Assert.Contains((await table.ReadRows(hash + 1, hash)).Reminders, r => r.GrainId == grainId);      // all but hash+1: wraps around
        Assert.DoesNotContain((await table.ReadRows(hash, hash + 1)).Reminders, r => r.GrainId == grainId); // (hash, hash+1]
        await using (var command = fixture.DataSource.CreateCommand(
            "SELECT grainid, period FROM orleansreminderstable WHERE serviceid = @s AND remindername = 'slow'"))
        {
            command.Parameters.AddWithValue("s", cluster.Options.ServiceId);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((grainId.ToString(), 600_000L), (reader.GetString(0), reader.GetInt64(1)));
        }

        await WaitForAsync(grain.Ticks, ticks => ticks >= 1, TimeSpan.FromSeconds(20));

        await grain.Unregister("fast");
        await grain.Unregister("slow");
        Assert.Empty((await table.ReadRows(grainId)).Reminders);
    }

    // ---- helpers ----

    sealed record Member(string Address, int Port, int Generation, int Status, int ProxyPort);

    sealed record StorageRow(string StateName, string? Extension, int Version, string Payload);

    async Task<List<Member>> MembersAsync(string clusterId)
    {
        await using var command = fixture.DataSource.CreateCommand(
            "SELECT address, port, generation, status, proxyport FROM orleansmembershiptable WHERE deploymentid = @d");
        command.Parameters.AddWithValue("d", clusterId);
        var rows = new List<Member>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(new Member(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4)));
        return rows;
    }

    async Task<int> VersionAsync(string clusterId)
    {
        await using var command = fixture.DataSource.CreateCommand("SELECT version FROM orleansmembershipversiontable WHERE deploymentid = @d");
        command.Parameters.AddWithValue("d", clusterId);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    async Task<List<StorageRow>> StorageRowsAsync(string serviceId, string key)
    {
        await using var command = fixture.DataSource.CreateCommand("""
            SELECT graintypestring, grainidextensionstring, version, payloadbinary FROM orleansstorage
            WHERE serviceid = @s AND grainidextensionstring = @k
            """);
        command.Parameters.AddWithValue("s", serviceId);
        command.Parameters.AddWithValue("k", key);
        var rows = new List<StorageRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(new StorageRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? "" : Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(3))));
        return rows;
    }

    static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (clock.Elapsed > timeout) Assert.Fail($"condition not met within {timeout.TotalSeconds:0} s; last value: {value}");
            await Task.Delay(200);
        }
    }
}
