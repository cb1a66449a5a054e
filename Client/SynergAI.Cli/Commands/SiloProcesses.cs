using System.Diagnostics;
using System.Globalization;

namespace SynergAI.Cli.Commands;

/// <summary>Silo processes on this machine and their CPU time, from Linux's <c>/proc</c>.</summary>
internal static class SiloProcesses
{
    /// <summary>The gateway port a silo uses when its command line and environment do not set one.</summary>
    public const int DefaultGatewayPort = 30000;

    public static bool Supported => OperatingSystem.IsLinux() && Directory.Exists("/proc");

    /// <summary>A silo found in <c>/proc</c>: its PID, its gateway port (as far as its command line and environment
    /// tell) and its program (without arguments, which may hold secrets).</summary>
    public sealed record Found(int Pid, int GatewayPort, string Program);

    /// <summary>Processes whose command line runs the silo: the built <c>SynergAI.Silo</c> binary (which is also what
    /// <c>dotnet run --project Silo</c> starts as its child) or <c>dotnet SynergAI.Silo.dll</c>. Not the
    /// <c>dotnet run</c> parent, which only waits.</summary>
    public static List<Found> Find()
    {
        var found = new List<Found>();
        if (!Supported) return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == System.Environment.ProcessId)
                continue;
            string[] args;
            try
            {
                args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone, or not ours to read
            }
            if (!IsSilo(args)) continue;
            // The program only, never the arguments: they may hold a connection string with its password.
            found.Add(new Found(pid, GatewayPort(args, ProcessEnvironment(pid)), args[0] == "dotnet" || args[0].EndsWith("/dotnet", StringComparison.Ordinal) ? $"{args[0]} {args[1]}" : args[0]));
        }
        return found;
    }

    /// <summary>Whether a command line runs the silo.</summary>
    public static bool IsSilo(IReadOnlyList<string> args)
    {
        if (args.Count == 0) return false;
        var program = Path.GetFileName(args[0]);
        if (program is "SynergAI.Silo" or "SynergAI.Silo.exe") return true;
        return program is "dotnet" or "dotnet.exe" && args.Count > 1 && Path.GetFileName(args[1]) == "SynergAI.Silo.dll";
    }

    /// <summary>The silo's gateway port from <c>--Orleans:GatewayPort=N</c> (or <c>… N</c>, <c>/Orleans:GatewayPort</c>,
    /// <c>Orleans__GatewayPort</c>) on its command line, else from its environment, else the default.</summary>
    public static int GatewayPort(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        static bool IsKey(string s) =>
            s.TrimStart('-', '/').Replace("__", ":", StringComparison.Ordinal).Equals("Orleans:GatewayPort", StringComparison.OrdinalIgnoreCase);
        int? port = null;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && IsKey(arg[..equals]) && int.TryParse(arg[(equals + 1)..], CultureInfo.InvariantCulture, out var p)) port = p;
            else if (IsKey(arg) && i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var q)) port = q;
        }
        if (port is { } fromArgs) return fromArgs;
        foreach (var (key, value) in environment)
            if (IsKey(key) && int.TryParse(value, CultureInfo.InvariantCulture, out var fromEnvironment)) return fromEnvironment;
        return DefaultGatewayPort;
    }

    static Dictionary<string, string> ProcessEnvironment(int pid)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = entry.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0) variables[entry[..equals]] = entry[(equals + 1)..];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* another user's process */ }
        return variables;
    }

    /// <summary>User plus system CPU time of the process in clock ticks (fields 14 and 15 of <c>/proc/PID/stat</c>),
    /// or null when it is gone or unreadable.</summary>
    public static long? CpuTicks(int pid)
    {
        try
        {
            return ParseCpuTicks(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>utime + stime from a <c>/proc/PID/stat</c> line. The command name (field 2) is in parentheses and may
    /// itself hold spaces or parentheses, so fields are counted from the last ')'.</summary>
    public static long? ParseCpuTicks(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries); // fields[0] is field 3
        if (fields.Length < 13) return null;
        return long.TryParse(fields[11], CultureInfo.InvariantCulture, out var user) && long.TryParse(fields[12], CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }

    /// <summary>Clock ticks per second (<c>getconf CLK_TCK</c>); 100, Linux's usual value, when that cannot be run.</summary>
    public static int ClockTicksPerSecond()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (getconf is null) return 100;
            var text = getconf.StandardOutput.ReadToEnd();
            if (!getconf.WaitForExit(2_000)) return 100;
            return int.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return 100;
        }
    }

    /// <summary>Whether a process with this PID exists.</summary>
    public static bool Exists(int pid)
    {
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
}
