using System.Globalization;
using System.Net;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace SynergAI.Deployment.Tests;

/// <summary><c>docker/compose.yaml</c> as plain maps and lists, with YAML merge keys (<c>&lt;&lt;: *silo</c>) applied
/// the way Compose applies them.</summary>
internal sealed class ComposeFile
{
    public const string File = "docker/compose.yaml";

    public Dictionary<object, object> Root { get; }

    ComposeFile(Dictionary<object, object> root) => Root = root;

    public static ComposeFile Load() => new(new DeserializerBuilder().Build()
        .Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(new StringReader(Repository.ReadText(File))))));

    public Dictionary<object, object> Services => Map(Root, "services") ?? [];

    public Dictionary<object, object>? Service(string name) => Map(Services, name);

    /// <summary>The services built from <paramref name="dockerfile"/> (a repository path), by name.</summary>
    public IEnumerable<(string Name, Dictionary<object, object> Service)> BuiltFrom(string dockerfile) =>
        Services.Select(s => ((string)s.Key, (Dictionary<object, object>)s.Value)).Where(s => DockerfileOf(s.Item2) == dockerfile);

    /// <summary>A service's Dockerfile as a repository path: the build context is relative to <c>docker/</c>, the
    /// Dockerfile to the context.</summary>
    public static string? DockerfileOf(Dictionary<object, object> service)
    {
        if (Map(service, "build") is not { } build) return null;
        var context = Path.GetFullPath(Path.Combine(Repository.PathOf("docker"), Text(build, "context") ?? "."));
        var file = Path.GetFullPath(Path.Combine(context, Text(build, "dockerfile") ?? "Dockerfile"));
        return Path.GetRelativePath(Repository.Root, file).Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>A service's environment, written as a map or as a list of <c>KEY=value</c>.</summary>
    public static IReadOnlyDictionary<string, string> Environment(Dictionary<object, object> service) =>
        service.GetValueOrDefault("environment") switch
        {
            Dictionary<object, object> map => map.ToDictionary(kv => (string)kv.Key, kv => kv.Value?.ToString() ?? ""),
            List<object> list => list.Select(i => ((string)i).Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : ""),
            _ => new Dictionary<string, string>(),
        };

    /// <summary>Published ports as (host, container) pairs, from the short syntax <c>"host:container"</c>.</summary>
    public static IReadOnlyList<(int Host, int Container)> Ports(Dictionary<object, object> service) =>
        [.. List(service, "ports").Select(p => ((string)p).Split('/')[0].Split(':')).Where(p => p.Length >= 2)
            .Select(p => (int.Parse(p[^2], CultureInfo.InvariantCulture), int.Parse(p[^1], CultureInfo.InvariantCulture)))];

    /// <summary>Compose durations such as <c>40s</c>, <c>1m30s</c>.</summary>
    public static TimeSpan Duration(string text)
    {
        var total = TimeSpan.Zero;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"(\d+)(ms|h|m|s)"))
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch { "h" => TimeSpan.FromHours(n), "m" => TimeSpan.FromMinutes(n), "s" => TimeSpan.FromSeconds(n), _ => TimeSpan.FromMilliseconds(n) };
        }
        return total;
    }

    /// <summary>Whether <paramref name="address"/> lies in the IPv4 <paramref name="cidr"/>.</summary>
    public static bool InSubnet(string address, string cidr)
    {
        var parts = cidr.Split('/');
        if (!IPAddress.TryParse(address, out var ip) || !IPAddress.TryParse(parts[0], out var network)) return false;
        var bits = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        return (ToUInt(ip) & mask) == (ToUInt(network) & mask);
        static uint ToUInt(IPAddress a) { var b = a.GetAddressBytes(); return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]); }
    }

    public static Dictionary<object, object>? Map(Dictionary<object, object>? map, string key) =>
        map?.GetValueOrDefault(key) as Dictionary<object, object>;

    public static List<object> List(Dictionary<object, object>? map, string key) =>
        map?.GetValueOrDefault(key) as List<object> ?? [];

    public static string? Text(Dictionary<object, object>? map, string key) => map?.GetValueOrDefault(key)?.ToString();
}
