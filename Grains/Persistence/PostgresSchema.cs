using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace SynergAI.Grains.Persistence;

/// <summary>One step of the schema: an embedded <c>Sql/NNN-name.sql</c> file, applied once, in version order.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script, recorded with the version so an edited, already-applied script can be noticed.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));

    public override string ToString() => $"{Version:000}-{Name}";
}

/// <summary>The connection string is unusable, the server cannot be reached, or a migration failed. The message names
/// host, port, database and user, never the password.</summary>
public sealed class PostgresSchemaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Creates or upgrades the PostgreSQL schema SynergAI uses: the tables and <c>OrleansQuery</c> rows of the Orleans
/// ADO.NET providers (clustering, grain storage, reminders) and the project's own tables. Idempotent, and safe when
/// several silos start at once: each migration runs in its own transaction that first takes a transaction-level
/// advisory lock, then applies the script only if <c>synergai_schema_version</c> does not list it yet.
/// </summary>
public static class PostgresSchema
{
    /// <summary>The advisory lock key every schema change takes ("SYNERGAI" in ASCII).</summary>
    public const long AdvisoryLockKey = 0x53594E4552474149;

    /// <summary>The table that records which migrations were applied.</summary>
    public const string VersionTable = "synergai_schema_version";

    const string ResourcePrefix = "SynergAI.Grains.Persistence.Sql.";

    /// <summary>The <c>OrleansQuery</c> keys the three providers require at start-up (Orleans 10.4.2), plus
    /// <c>DeleteStorageKey</c>, needed when grain storage runs with <c>DeleteStateOnClear</c>.</summary>
    public static IReadOnlyList<string> OrleansQueryKeys { get; } =
    [
        // clustering
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",
        // grain storage
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        // reminders
        "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    /// <summary>Every migration this build knows, in the order they are applied.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } = LoadMigrations();

    /// <summary>Creates or upgrades the schema. Returns the migrations this call applied (empty when the schema was
    /// already current, including when another process applied them concurrently).</summary>
    /// <exception cref="PostgresSchemaException">Bad connection string, unreachable server, failed migration.</exception>
    public static async Task<IReadOnlyList<SchemaMigration>> EnsureAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var builder = ParseConnectionString(connectionString);
        await using var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        return await EnsureAsync(dataSource, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="EnsureAsync(string, CancellationToken)"/>
    public static async Task<IReadOnlyList<SchemaMigration>> EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var where = Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString));
        await using var connection = await OpenAsync(dataSource, where, cancellationToken).ConfigureAwait(false);

        var applied = new List<SchemaMigration>();
        foreach (var migration in Migrations)
        {
            try
            {
                if (await ApplyIfMissingAsync(connection, migration, cancellationToken).ConfigureAwait(false))
                    applied.Add(migration);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                throw new PostgresSchemaException($"Applying schema migration {migration} to {where} failed: {e.Message}", e);
            }
        }
        return applied;
    }

    /// <summary>The versions recorded in <c>synergai_schema_version</c> (empty when the table does not exist yet).</summary>
    public static async Task<IReadOnlyList<int>> AppliedVersionsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await OpenAsync(dataSource, Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString)),
            cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT version FROM {VersionTable} ORDER BY version", connection);
        try
        {
            var versions = new List<int>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) versions.Add(reader.GetInt32(0));
            return versions;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return [];
        }
    }

    /// <summary>The required <see cref="OrleansQueryKeys"/> that the database's <c>orleansquery</c> table lacks.</summary>
    public static async Task<IReadOnlyList<string>> MissingOrleansQueryKeysAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT querykey FROM orleansquery");
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) present.Add(reader.GetString(0));
        return [.. OrleansQueryKeys.Where(k => !present.Contains(k))];
    }

    /// <summary>Parses and checks a connection string; the error never repeats the string (it may hold a password).</summary>
    public static NpgsqlConnectionStringBuilder ParseConnectionString(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new PostgresSchemaException("The PostgreSQL connection string is empty (expected e.g. \"Host=localhost;Port=5432;Database=synergai;Username=synergai;Password=…\").");
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new PostgresSchemaException($"The PostgreSQL connection string is not valid: {e.Message}", e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new PostgresSchemaException("The PostgreSQL connection string names no Host (expected e.g. \"Host=localhost;Port=5432;…\").");
        return builder;
    }

    /// <summary>"PostgreSQL at host:port (database 'd', user 'u')" — for messages; never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var host = string.IsNullOrWhiteSpace(builder.Host) ? "(no host)" : builder.Host;
        var endpoint = host.Contains(',', StringComparison.Ordinal) ? $"{host} (port {builder.Port})" : $"{host}:{builder.Port}";
        var database = string.IsNullOrEmpty(builder.Database) ? "(default)" : builder.Database;
        var user = string.IsNullOrEmpty(builder.Username) ? "(default)" : builder.Username;
        return $"PostgreSQL at {endpoint} (database '{database}', user '{user}')";
    }

    static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, string where, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw new PostgresSchemaException($"Cannot connect to {where}: {e.Message}", e);
        }
    }

    static async Task<bool> ApplyIfMissingAsync(NpgsqlConnection connection, SchemaMigration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Serialises schema changes between processes; released by commit or rollback (also if the process dies).
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", AdvisoryLockKey)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {VersionTable}
            (
                version    integer     NOT NULL PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken).ConfigureAwait(false);

        await using (var check = new NpgsqlCommand($"SELECT 1 FROM {VersionTable} WHERE version = @version", connection, transaction))
        {
            check.Parameters.AddWithValue("version", migration.Version);
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }

        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"INSERT INTO {VersionTable} (version, name, checksum) VALUES (@version, @name, @checksum)",
            cancellationToken, ("version", migration.Version), ("name", migration.Name), ("checksum", migration.Checksum)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    static SchemaMigration[] LoadMigrations()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Load(assembly, n))
            .OrderBy(m => m.Version)
            .ToArray();
        if (migrations.Length == 0)
            throw new InvalidOperationException($"No embedded schema scripts ({ResourcePrefix}*.sql) in {assembly.GetName().Name}.");
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two schema scripts share version {duplicate.Key}: {string.Join(", ", duplicate)}.");
        return migrations;
    }

    static SchemaMigration Load(Assembly assembly, string resource)
    {
        var file = resource[ResourcePrefix.Length..^".sql".Length]; // "001-orleans"
        var dash = file.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !int.TryParse(file.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
            throw new InvalidOperationException($"Schema script '{file}.sql' must be named NNN-name.sql.");
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded schema script {resource} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new SchemaMigration(version, file[(dash + 1)..], reader.ReadToEnd());
    }
}
