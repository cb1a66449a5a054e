using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SynergAI.Client;

/// <summary>Where the SynergAI cluster is and how the client talks to it.</summary>
public sealed class SynergAiClientOptions
{
    public const string DefaultGateway = "localhost:30000";
    public const string DefaultPool = "default";

    /// <summary>Gateways of the cluster's silos as <c>host:port</c> (a host name, an IPv4 address or a bracketed IPv6
    /// address, e.g. <c>[::1]:30000</c>). Default: <c>localhost:30000</c>, the embedded silo.</summary>
    public IList<string> Gateways { get; set; } = [DefaultGateway];

    /// <summary>Orleans cluster id; must match the silos' (<c>Orleans:ClusterId</c>, default <c>synergai</c>).</summary>
    public string ClusterId { get; set; } = "synergai";

    /// <summary>Orleans service id; must match the silos' (<c>Orleans:ServiceId</c>, default <c>synergai</c>).</summary>
    public string ServiceId { get; set; } = "synergai";

    /// <summary>How many grain calls list operations (<see cref="SynergAiClient.ListJobsAsync"/>,
    /// <see cref="SynergAiClient.ListWorkersAsync"/>) keep in flight at once.</summary>
    public int ListConcurrency { get; set; } = 64;

    /// <summary>How often <see cref="SynergAiClient.WaitForCompletionAsync"/> and <see cref="SynergAiClient.WatchAsync"/>
    /// ask a job for its status unless told otherwise.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a call that is safe to repeat (submit with an id, status, listings) keeps retrying while the
    /// cluster is unavailable — a silo dying, the cluster restarting, PostgreSQL restarting. Zero: no retries.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The gateways as endpoints, host names resolved (IPv4 first). Throws <see cref="ArgumentException"/>
    /// naming the bad entry.</summary>
    public IReadOnlyList<IPEndPoint> ResolveGateways()
    {
        var entries = Gateways.SelectMany(g => (g ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (entries.Count == 0) throw new ArgumentException("no gateway given; use host:port, e.g. localhost:30000");
        return [.. entries.Select(ParseGateway).Distinct()];
    }

    /// <summary>Parses one <c>host:port</c> entry and resolves its host.</summary>
    public static IPEndPoint ParseGateway(string entry)
    {
        var colon = entry.LastIndexOf(':');
        if (colon <= 0 || colon == entry.Length - 1)
            throw new ArgumentException($"gateway '{entry}' is not host:port (e.g. localhost:30000)");
        var host = entry[..colon];
        var portText = entry[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"gateway '{entry}': port '{portText}' is not a number 1-65535");
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) throw new ArgumentException($"gateway '{entry}': write an IPv6 address in brackets, e.g. [::1]:30000");
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new ArgumentException($"gateway '{entry}': cannot resolve host '{host}' ({e.Message})", e);
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"gateway '{entry}': host '{host}' has no address");
        return new IPEndPoint(chosen, port);
    }

    /// <summary>A PostgreSQL connection string: when set, the client finds the silos' gateways in the cluster's
    /// membership table instead of <see cref="Gateways"/>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>TLS to the gateways (when the cluster uses it, README "Operating"): the cluster certificate, a PKCS#12
    /// file with its private key, its password, and optionally the authority's certificate (see <see cref="ClusterTls"/>).</summary>
    public string? TlsCertificatePath { get; set; }
    public string? TlsCertificatePassword { get; set; }
    public string? TlsAuthorityPath { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId)) throw new ArgumentException("ClusterId must not be empty");
        if (string.IsNullOrWhiteSpace(ServiceId)) throw new ArgumentException("ServiceId must not be empty");
        if (ListConcurrency < 1) throw new ArgumentException($"ListConcurrency must be at least 1, got {ListConcurrency}");
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentException($"PollInterval must be positive, got {PollInterval}");
        if (RetryFor < TimeSpan.Zero) throw new ArgumentException($"RetryFor must not be negative, got {RetryFor}");
    }
}
