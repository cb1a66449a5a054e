using System.Data;
using Npgsql;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// Runs the stored <c>OrleansQuery</c> texts directly, binding parameters the way Orleans' ADO.NET layer does (by name,
/// with the <see cref="DbType"/> Orleans derives from the CLR type: string → String, int → Int32, long → Int64,
/// DateTime → DateTime, byte[] → Binary, nullable values as typed DBNull), and checks the results Orleans relies on,
/// including the paths a healthy cluster rarely takes (stale versions, races, deletes, wrap-around ranges).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QueryContractTests(PersistenceFixture fixture)
{
    const int Active = 3, Joining = 2, Dead = 6;

    [Fact]
    public async Task Membership_inserts_and_updates_bump_the_version_only_together_with_the_row()
    {
        var d = $"contract-{Guid.NewGuid():N}";
        var t = DateTime.UtcNow;

        Assert.Empty(await ReadAll(d)); // no version row yet
        Assert.Equal(1, await Scalar("InsertMembershipVersionKey", P("DeploymentId", d)));
        Assert.Equal(0, await Scalar("InsertMembershipVersionKey", P("DeploymentId", d)));
        var empty = Assert.Single(await ReadAll(d));
        Assert.Null(empty["starttime"]);
        Assert.Equal(0, empty["version"]);

        Assert.Equal(1, await InsertSilo(d, "10.0.0.1", 11111, 1, Joining, t, version: 0));
        Assert.Equal(1, await Version(d));
        Assert.Equal(0, await InsertSilo(d, "10.0.0.2", 11111, 1, Joining, t, version: 0)); // stale version
        Assert.Equal(0, await InsertSilo(d, "10.0.0.1", 11111, 1, Joining, t, version: 1)); // row exists
        Assert.Equal(1, await Version(d));
        Assert.Single(await ReadAll(d));

        Assert.Equal(0, await UpdateSilo(d, "10.0.0.1", 11111, 1, Active, t, version: 0)); // stale
        Assert.Equal(Joining, (await ReadRow(d, "10.0.0.1", 11111, 1))["status"]);
        Assert.Equal(0, await UpdateSilo(d, "10.0.0.9", 11111, 1, Active, t, version: 1)); // no such silo
        Assert.Equal(1, await Version(d));
        Assert.Equal(1, await UpdateSilo(d, "10.0.0.1", 11111, 1, Active, t, version: 1, suspects: "S10.0.0.2:11111:1,2026-01-01 00:00:00.000 GMT"));
        Assert.Equal(2, await Version(d));
        var row = await ReadRow(d, "10.0.0.1", 11111, 1);
        Assert.Equal(Active, row["status"]);
        Assert.StartsWith("S10.0.0.2", (string)row["suspecttimes"]!);

        // Heartbeats move iamalivetime only, never the version.
        var later = t.AddMinutes(1);
        await Execute("UpdateIAmAlivetimeKey", P("DeploymentId", d), P("Address", "10.0.0.1"), P("Port", 11111), P("Generation", 1), P("IAmAliveTime", later));
        Assert.Equal(2, await Version(d));
        Assert.Equal(later, ((DateTime)(await ReadRow(d, "10.0.0.1", 11111, 1))["iamalivetime"]!), TimeSpan.FromMilliseconds(1));

        // A silo that is not there: one row, the version, with no silo in it.
        var missing = await ReadRow(d, "10.0.0.7", 1, 1);
        Assert.Null(missing["starttime"]);
        Assert.Equal(2, missing["version"]);

        var gateway = Assert.Single(await Rows("GatewaysQueryKey", P("DeploymentId", d), P("Status", Active)));
        Assert.Equal(("10.0.0.1", 30000, 1), ((string)gateway["address"]!, (int)gateway["proxyport"]!, (int)gateway["generation"]!));
    }

    [Fact]
    public async Task Of_racing_silo_inserts_with_the_same_version_exactly_one_wins()
    {
        var d = $"race-{Guid.NewGuid():N}";
        await Scalar("InsertMembershipVersionKey", P("DeploymentId", d));
        var t = DateTime.UtcNow;

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => InsertSilo(d, $"10.1.0.{i}", 11111, 1, Joining, t, version: 0))));

        Assert.Equal(1, results.Sum());
        Assert.Equal(1, await Version(d));
        Assert.Single(await ReadAll(d));
    }

    [Fact]
    public async Task Cleanup_removes_only_old_inactive_silos_and_delete_forgets_the_cluster()
    {
        var d = $"cleanup-{Guid.NewGuid():N}";
        await Scalar("InsertMembershipVersionKey", P("DeploymentId", d));
        var old = DateTime.UtcNow.AddHours(-2);
        Assert.Equal(1, await InsertSilo(d, "10.2.0.1", 11111, 1, Dead, old, version: 0));
        Assert.Equal(1, await InsertSilo(d, "10.2.0.2", 11111, 1, Active, old, version: 1));
        Assert.Equal(1, await InsertSilo(d, "10.2.0.3", 11111, 1, Dead, DateTime.UtcNow, version: 2));

        await Execute("CleanupDefunctSiloEntriesKey", P("DeploymentId", d), P("IAmAliveTime", DateTime.UtcNow.AddHours(-1)));

        Assert.Equal(["10.2.0.2", "10.2.0.3"], (await ReadAll(d)).Select(r => (string)r["address"]!).Order());
        await Execute("DeleteMembershipTableEntriesKey", P("DeploymentId", d));
        Assert.Empty(await ReadAll(d));
    }

    [Fact]
    public async Task Storage_writes_are_version_checked_and_a_grain_state_has_one_row()
    {
        var key = new StateKey($"svc-{Guid.NewGuid():N}", "contract-state", "k-1");

        Assert.Equal(1, await Write(key, null, "v1"));
        Assert.Null(await Write(key, null, "other")); // a second first write: no row, NULL → ETag conflict
        Assert.Equal(2, await Write(key, 1, "v2"));
        Assert.Equal(1, await Write(key, 1, "stale")); // same version back → ETag conflict
        var read = Assert.Single(await Rows("ReadFromStorageKey", key.Parameters()));
        Assert.Equal(("v2", 2), (System.Text.Encoding.UTF8.GetString((byte[])read["payloadbinary"]!), (int)read["version"]!));

        Assert.Empty(await Rows("ClearStorageKey", [.. key.Parameters(), P("GrainStateVersion", (int?)1)])); // stale
        Assert.Equal(3, await Scalar("ClearStorageKey", [.. key.Parameters(), P("GrainStateVersion", (int?)2)]));
        var cleared = Assert.Single(await Rows("ReadFromStorageKey", key.Parameters()));
        Assert.Null(cleared["payloadbinary"]);
        Assert.Equal(4, await Write(key, 3, "v4"));

        Assert.Empty(await Rows("DeleteStorageKey", [.. key.Parameters(), P("GrainStateVersion", (int?)3)])); // stale
        Assert.Equal(5, await Scalar("DeleteStorageKey", [.. key.Parameters(), P("GrainStateVersion", (int?)4)]));
        Assert.Empty(await Rows("ReadFromStorageKey", key.Parameters()));
        Assert.Equal(1, await Write(key, null, "again")); // after a delete the next write is a first write
    }

    [Fact]
    public async Task Racing_first_writes_of_one_grain_state_leave_exactly_one_row()
    {
        var key = new StateKey($"svc-{Guid.NewGuid():N}", "race-state", "k-race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Write(key, null, $"w{i}"))));

        Assert.Equal(1, results.Count(r => r == 1));
        Assert.Equal(7, results.Count(r => r is null));
        Assert.Single(await Rows("ReadFromStorageKey", key.Parameters()));
    }

    [Fact]
    public async Task The_storage_table_rejects_a_duplicate_row_but_keeps_null_and_empty_extensions_apart()
    {
        var service = $"svc-{Guid.NewGuid():N}";
        Assert.Equal(1, await Write(new StateKey(service, "s", null, N1: 42), null, "int key"));
        Assert.Equal(1, await Write(new StateKey(service, "s", "", N1: 42), null, "int key, empty extension"));

        await using var command = fixture.DataSource.CreateCommand("""
            INSERT INTO orleansstorage (serviceid, graintypestring, graintypehash, grainidhash, grainidn0, grainidn1,
                                        grainidextensionstring, payloadbinary, version)
            SELECT serviceid, graintypestring, graintypehash, grainidhash, grainidn0, grainidn1, grainidextensionstring, payloadbinary, 9
            FROM orleansstorage WHERE serviceid = @s AND grainidextensionstring IS NULL
            """);
        command.Parameters.AddWithValue("s", service);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task Reminders_upsert_read_ranges_and_delete_by_version()
    {
        var s = $"svc-{Guid.NewGuid():N}";
        var start = DateTime.UtcNow;
        Assert.Equal(0, await Scalar("UpsertReminderRowKey", Reminder(s, "g/a", "r1", start, 60_000, -100)));
        Assert.Equal(1, await Scalar("UpsertReminderRowKey", Reminder(s, "g/a", "r1", start, 120_000, -100)));
        Assert.Equal(0, await Scalar("UpsertReminderRowKey", Reminder(s, "g/b", "r1", start, (long)int.MaxValue + 1, 100))); // long period
        Assert.Equal(0, await Scalar("UpsertReminderRowKey", Reminder(s, "g/c", "r1", start, 1000, int.MaxValue)));

        var one = Assert.Single(await Rows("ReadReminderRowKey", P("ServiceId", s), P("GrainId", "g/a"), P("ReminderName", "r1")));
        Assert.Equal((120_000L, 1), ((long)one["period"]!, (int)one["version"]!));
        Assert.Equal((long)int.MaxValue + 1, (long)Assert.Single(await Rows("ReadReminderRowsKey", P("ServiceId", s), P("GrainId", "g/b")))["period"]!);

        // (BeginHash, EndHash]
        Assert.Equal(["g/a", "g/b"], await Grains("ReadRangeRows1Key", s, -101, 100));
        Assert.Equal(["g/b"], await Grains("ReadRangeRows1Key", s, -100, 100));
        // wrap-around: (BeginHash, max] ∪ [min, EndHash]
        Assert.Equal(["g/a", "g/c"], await Grains("ReadRangeRows2Key", s, 100, -100));

        Assert.Equal(0, await Scalar("DeleteReminderRowKey", P("ServiceId", s), P("GrainId", "g/a"), P("ReminderName", "r1"), P("Version", 0)));
        Assert.Equal(1, await Scalar("DeleteReminderRowKey", P("ServiceId", s), P("GrainId", "g/a"), P("ReminderName", "r1"), P("Version", 1)));
        await Execute("DeleteReminderRowsKey", P("ServiceId", s));
        Assert.Empty(await Grains("ReadRangeRows2Key", s, 0, 0));
    }

    // ---- helpers: Orleans-style parameter binding ----

    sealed record StateKey(string Service, string StateName, string? Extension, long N0 = 0, long N1 = 0)
    {
        public NpgsqlParameter[] Parameters() =>
        [
            P("GrainIdHash", (Extension ?? "").GetHashCode(StringComparison.Ordinal) ^ (int)N1), P("GrainIdN0", N0), P("GrainIdN1", N1),
            P("GrainTypeHash", StateName.Length), P("GrainTypeString", StateName), P("GrainIdExtensionString", Extension),
            P("ServiceId", Service),
        ];
    }

    Task<int?> Write(StateKey key, int? version, string payload) =>
        NullableScalar("WriteToStorageKey", [.. key.Parameters(), P("GrainStateVersion", version), P("PayloadBinary", System.Text.Encoding.UTF8.GetBytes(payload))]);

    Task<int> InsertSilo(string d, string address, int port, int generation, int status, DateTime t, int version) =>
        Scalar("InsertMembershipKey", P("DeploymentId", d), P("Address", address), P("Port", port), P("Generation", generation),
            P("SiloName", $"silo-{address}"), P("HostName", "host"), P("Status", status), P("ProxyPort", 30000), P("StartTime", t),
            P("IAmAliveTime", t), P("Version", version));

    Task<int> UpdateSilo(string d, string address, int port, int generation, int status, DateTime t, int version, string? suspects = null) =>
        Scalar("UpdateMembershipKey", P("DeploymentId", d), P("Address", address), P("Port", port), P("Generation", generation),
            P("Status", status), P("SuspectTimes", suspects), P("IAmAliveTime", t), P("Version", version));

    Task<List<Dictionary<string, object?>>> ReadAll(string d) => Rows("MembershipReadAllKey", P("DeploymentId", d));

    async Task<Dictionary<string, object?>> ReadRow(string d, string address, int port, int generation) =>
        Assert.Single(await Rows("MembershipReadRowKey", P("DeploymentId", d), P("Address", address), P("Port", port), P("Generation", generation)));

    async Task<int> Version(string d) => (int)(await ReadAll(d))[0]["version"]!;

    static NpgsqlParameter[] Reminder(string s, string grain, string name, DateTime start, long periodMs, int hash) =>
    [
        P("ServiceId", s), P("GrainId", grain), P("ReminderName", name), P("StartTime", start),
        periodMs <= int.MaxValue ? P("Period", (int)periodMs) : P("Period", periodMs), // Orleans sends int when it fits
        P("GrainHash", hash),
    ];

    async Task<string[]> Grains(string key, string s, int begin, int end) =>
        [.. (await Rows(key, P("ServiceId", s), P("BeginHash", begin), P("EndHash", end))).Select(r => (string)r["grainid"]!).Order()];

    static NpgsqlParameter P<T>(string name, T value) => new(name, DbTypeOf(typeof(T))) { Value = (object?)value ?? DBNull.Value };

    static DbType DbTypeOf(Type t) => (Nullable.GetUnderlyingType(t) ?? t) switch
    {
        var x when x == typeof(int) => DbType.Int32,
        var x when x == typeof(long) => DbType.Int64,
        var x when x == typeof(string) => DbType.String,
        var x when x == typeof(DateTime) => DbType.DateTime,
        var x when x == typeof(byte[]) => DbType.Binary,
        var x => throw new ArgumentException($"no Orleans mapping for {x}"),
    };

    async Task<string> QueryText(string key)
    {
        await using var command = fixture.DataSource.CreateCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @k");
        command.Parameters.AddWithValue("k", key);
        return (string?)await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no query {key}");
    }

    async Task<List<Dictionary<string, object?>>> Rows(string key, params NpgsqlParameter[] parameters)
    {
        await using var command = fixture.DataSource.CreateCommand(await QueryText(key));
        command.Parameters.AddRange(parameters);
        var rows = new List<Dictionary<string, object?>>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    async Task<int?> NullableScalar(string key, params NpgsqlParameter[] parameters)
    {
        var row = Assert.Single(await Rows(key, parameters));
        return row.Values.First() is { } v ? Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    async Task<int> Scalar(string key, params NpgsqlParameter[] parameters) =>
        await NullableScalar(key, parameters) ?? throw new InvalidOperationException($"{key} returned NULL");

    async Task Execute(string key, params NpgsqlParameter[] parameters)
    {
        await using var command = fixture.DataSource.CreateCommand(await QueryText(key));
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync();
    }
}
