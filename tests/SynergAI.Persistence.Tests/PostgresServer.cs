using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// A throwaway PostgreSQL server for tests: <c>initdb</c> into a fresh temporary folder, started with <c>pg_ctl</c> on a
/// free TCP port on 127.0.0.1 (trust authentication, fsync off), stopped and deleted by <see cref="DisposeAsync"/>.
/// Uses the newest <c>/usr/lib/postgresql/*/bin</c> (or <c>pg_config --bindir</c>, or <c>initdb</c> on PATH; the
/// environment variable <c>SYNERGAI_PG_BINDIR</c> overrides). PostgreSQL refuses to run as root, so when the tests run
/// as root the server runs as the <c>postgres</c> OS user (<c>runuser</c>) and the folder is given to that user.
/// The port stays the same across <see cref="StopAsync"/> / <see cref="StartAsync"/>, so connection strings remain valid.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    const string InstallHint = "install the Debian package postgresql (apt-get install -y postgresql) or set SYNERGAI_PG_BINDIR";
    static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    readonly string _binDir;
    readonly bool _asPostgresUser;
    int _disposed;

    PostgresServer(string binDir, string root, bool asPostgresUser, int port)
    {
        _binDir = binDir;
        Root = root;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    /// <summary>The temporary folder (data directory, socket, log).</summary>
    public string Root { get; }
    public string DataDirectory => Path.Combine(Root, "data");
    public string LogFile => Path.Combine(Root, "server.log");
    public int Port { get; private set; }
    public string BinDirectory => _binDir;
    public bool IsRunning { get; private set; }

    /// <summary>Connection string of the <c>postgres</c> database as the superuser.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Database = database,
        Timeout = 5,
        CommandTimeout = 30,
    }.ConnectionString;

    /// <summary>Creates, starts and waits for a new server. Nothing is left behind if this fails.</summary>
    public static async Task<PostgresServer> StartNewAsync(CancellationToken cancellationToken = default)
    {
        var binDir = FindBinDirectory();
        var asPostgresUser = IsRoot();
        if (asPostgresUser && !UserExists(SuperUser))
            throw new InvalidOperationException($"Running as root, PostgreSQL must run as the OS user '{SuperUser}', which does not exist; {InstallHint}.");

        var root = Path.Combine(Path.GetTempPath(), $"synergai-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        var server = new PostgresServer(binDir, root, asPostgresUser, FreePort());
        try
        {
            await server.InitAsync(cancellationToken);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await server.StartAsync(cancellationToken);
                    return server;
                }
                catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("already in use", StringComparison.OrdinalIgnoreCase))
                {
                    server.Port = FreePort(); // another process took the port between probing and binding
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the (stopped) server on its port and waits until it accepts TCP connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (IsRunning) return;
        File.WriteAllText(Path.Combine(DataDirectory, "synergai.conf"), Settings(Port));
        var result = await RunToolAsync("pg_ctl", ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-s"], cancellationToken);
        if (result.ExitCode != 0)
        {
            await StopQuietlyAsync("immediate");
            throw new InvalidOperationException($"pg_ctl start failed (exit {result.ExitCode}) on port {Port}: {result.Output}\n--- server log ---\n{Tail(LogFile)}");
        }
        IsRunning = true;
        await WaitUntilAcceptingAsync(cancellationToken);
    }

    /// <summary>Stops the server (fast shutdown: clients are disconnected, nothing committed is lost).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!IsRunning) return;
        var result = await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "-s"], cancellationToken);
        if (result.ExitCode != 0 && PostmasterPid() is not null)
            throw new InvalidOperationException($"pg_ctl stop failed (exit {result.ExitCode}): {result.Output}");
        IsRunning = false;
        NpgsqlConnection.ClearAllPools();
    }

    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        await StartAsync(cancellationToken);
    }

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        name ??= $"db_{Guid.NewGuid():N}";
        if (!name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            throw new ArgumentException("use lower-case letters, digits and '_' only", nameof(name));
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionStringFor(name);
    }

    /// <summary>Stops the server immediately and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        NpgsqlConnection.ClearAllPools();
        await StopQuietlyAsync("immediate");
        IsRunning = false;
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"PostgresServer: could not delete {Root}: {e.Message}");
        }
    }

    async Task InitAsync(CancellationToken cancellationToken)
    {
        if (_asPostgresUser) await ChownToPostgresAsync(Root, cancellationToken);
        var result = await RunToolAsync("initdb",
            ["-D", DataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"initdb failed (exit {result.ExitCode}): {result.Output}");
        File.AppendAllText(Path.Combine(DataDirectory, "postgresql.conf"), "\ninclude = 'synergai.conf'\n");
    }

    string Settings(int port) => string.Join('\n',
        $"port = {port}",
        "listen_addresses = '127.0.0.1'",
        $"unix_socket_directories = '{Root}'",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 300",
        "shared_buffers = 32MB",
        "logging_collector = off",
        "log_min_messages = warning",
        "");

    async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                last = e;
                await Task.Delay(100, cancellationToken);
            }
        }
        throw new InvalidOperationException($"PostgreSQL on 127.0.0.1:{Port} did not accept connections within 30 s: {last?.Message}\n{Tail(LogFile)}", last);
    }

    async Task StopQuietlyAsync(string mode)
    {
        if (!Directory.Exists(DataDirectory)) return;
        try
        {
            if (PostmasterPid() is not null)
                await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", "30", "-s"], CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            // fall through to the kill below
        }
        if (PostmasterPid() is { } pid)
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
    }

    /// <summary>The server's process id from <c>postmaster.pid</c>, if the file exists and the process is alive.</summary>
    int? PostmasterPid()
    {
        var file = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            if (!File.Exists(file)) return null;
            var first = File.ReadLines(file).FirstOrDefault();
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return null;
            return IsProcessRunning(pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether a process exists and has not exited. An exited server whose parent (pg_ctl) is gone can stay
    /// a zombie until something reaps it; on Linux that counts as not running.</summary>
    public static bool IsProcessRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].FirstOrDefault();
                return state is not ('Z' or 'X' or 'x' or '\0');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                return false;
            }
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    sealed record ToolResult(int ExitCode, string Output);

    Task<ToolResult> RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDir, tool);
        return _asPostgresUser
            ? RunAsync("runuser", ["-u", SuperUser, "--", path, .. arguments], cancellationToken)
            : RunAsync(path, arguments, cancellationToken);
    }

    async Task<ToolResult> RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Root, // the postgres user may not be allowed into the test's working directory
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";
        start.Environment["LANG"] = "C";
        foreach (var name in new[] { "PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGOPTIONS" })
            start.Environment.Remove(name);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {ToolTimeout.TotalSeconds:0} s");
        }
        output.Append(await stdout).Append(await stderr);
        return new ToolResult(process.ExitCode, output.ToString().Trim());
    }

    async Task ChownToPostgresAsync(string path, CancellationToken cancellationToken)
    {
        var result = await RunAsync("chown", ["-R", $"{SuperUser}:", path], cancellationToken);
        if (result.ExitCode != 0) throw new InvalidOperationException($"chown {SuperUser} {path} failed: {result.Output}");
        // The server must be able to reach its folder through the parents (e.g. a TMPDIR below /root would not do).
        for (var dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
                throw new InvalidOperationException($"The temporary folder {path} is not reachable by the '{SuperUser}' user ({dir} is not world-searchable); set TMPDIR to e.g. /tmp.");
        }
    }

    /// <summary>Finds the folder holding initdb, pg_ctl and postgres.</summary>
    public static string FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("SYNERGAI_PG_BINDIR") is { Length: > 0 } overridden) candidates.Add(overridden);
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "bin")));
        }
        if (TryPgConfigBinDir() is { } pgConfigDir) candidates.Add(pgConfigDir);
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return FindBinDirectory(candidates);
    }

    /// <summary>The first of <paramref name="candidates"/> that holds initdb, pg_ctl and postgres.</summary>
    public static string FindBinDirectory(IEnumerable<string> candidates)
    {
        foreach (var dir in candidates)
        {
            if (new[] { "initdb", "pg_ctl", "postgres" }.All(tool => File.Exists(Path.Combine(dir, tool))))
                return dir;
        }
        throw new InvalidOperationException($"PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in /usr/lib/postgresql/*/bin, pg_config --bindir or PATH; {InstallHint}.");
    }

    static string? TryPgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(5000) && process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config not installed
        }
    }

    static int FreePort() => TestPorts.Next();

    static bool IsRoot() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? geteuid() == 0 : false;

    static bool UserExists(string user) => File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    static string Tail(string file, int lines = 30)
    {
        try { return File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(lines)) : "(no server log)"; }
        catch (IOException e) { return $"(server log unreadable: {e.Message})"; }
    }

#pragma warning disable SYSLIB1054 // a plain DllImport is enough for one blittable call
    [DllImport("libc", SetLastError = false)]
    static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
