using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>Where the SynergAI cluster is and how the client talks to it. Bind it from configuration
/// (<c>services.AddSynergAiClient(configuration.GetSection("SynergAI"))</c>) or set it in code; it is validated when the
/// host starts (<see cref="SynergAiClientOptionsValidator"/>).</summary>
public sealed class SynergAiClientOptions
{
    /// <summary>The embedded silo's gateway, <c>localhost:30000</c>.</summary>
    public const string DefaultGateway = "localhost:30000";

    /// <summary>The pool every call uses unless told otherwise, <c>default</c>.</summary>
    public const string DefaultPool = "default";

    /// <summary>Gateways of the cluster's silos as <c>host:port</c> (a host name, an IPv4 address or a bracketed IPv6
    /// address, e.g. <c>[::1]:30000</c>), resolved when the client connects. Empty (the default): <c>localhost:30000</c>.
    /// Empty rather than pre-filled, so that binding a list from configuration replaces the default.</summary>
    public IList<string> Gateways { get; set; } = [];

    IEnumerable<string> GatewayEntries() => Gateways is null or { Count: 0 } ? [DefaultGateway]
        : Gateways.SelectMany(g => (g ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>A PostgreSQL connection string: when set, the client finds the silos' gateways in the cluster's
    /// membership table instead of <see cref="Gateways"/> (the application must reference the <c>Npgsql</c> package).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Orleans cluster id; must match the silos' (<c>Orleans:ClusterId</c>, default <c>synergai</c>).</summary>
    public string ClusterId { get; set; } = "synergai";

    /// <summary>Orleans service id; must match the silos' (<c>Orleans:ServiceId</c>, default <c>synergai</c>).</summary>
    public string ServiceId { get; set; } = "synergai";

    /// <summary>How long the host's start waits for a first gateway before it fails with
    /// <see cref="ClusterUnreachableException"/>. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a call keeps retrying while the cluster is unavailable — a silo dying, the cluster restarting,
    /// PostgreSQL restarting — before it fails with <see cref="ClusterUnreachableException"/>. Zero: no retries.
    /// Default 60 s.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a submission to a pool without workers is retried (the cluster just started and its workers
    /// have not registered again) before <see cref="PoolNotReadyException"/>. Zero: not retried. Default 10 s.</summary>
    public TimeSpan PoolReadyWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a silent watch waits before it renews its subscription with the job's grain and asks for any
    /// change it missed (a lost push, a job grain that moved silo). Default 5 s.</summary>
    public TimeSpan WatchRenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a watch asks the job for its changes when it cannot be pushed to (its observer could not be
    /// created). Default 250 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many grain calls <see cref="ISynergAiClient.ListWorkersAsync"/> keeps in flight at once. Default 64.</summary>
    public int ListConcurrency { get; set; } = 64;

    /// <summary>The gateways as endpoints, host names resolved (IPv4 first). Throws <see cref="ArgumentException"/>
    /// naming the bad entry.</summary>
    public IReadOnlyList<IPEndPoint> ResolveGateways()
    {
        var entries = GatewayEntries().ToList();
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

    /// <summary>Every problem with these options, one line each (empty when they are fine).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ClusterId)) problems.Add("ClusterId must not be empty");
        if (string.IsNullOrWhiteSpace(ServiceId)) problems.Add("ServiceId must not be empty");
        if (string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            var entries = GatewayEntries().ToList();
            if (entries.Count == 0) problems.Add("no gateway given; use host:port, e.g. localhost:30000");
            foreach (var entry in entries)
                if (GatewaySyntaxProblem(entry) is { } problem) problems.Add(problem);
        }
        if (ConnectTimeout <= TimeSpan.Zero) problems.Add($"ConnectTimeout must be positive, got {ConnectTimeout}");
        if (RetryFor < TimeSpan.Zero) problems.Add($"RetryFor must not be negative, got {RetryFor}");
        if (PoolReadyWait < TimeSpan.Zero) problems.Add($"PoolReadyWait must not be negative, got {PoolReadyWait}");
        if (WatchRenewInterval <= TimeSpan.Zero) problems.Add($"WatchRenewInterval must be positive, got {WatchRenewInterval}");
        if (PollInterval <= TimeSpan.Zero) problems.Add($"PollInterval must be positive, got {PollInterval}");
        if (ListConcurrency < 1) problems.Add($"ListConcurrency must be at least 1, got {ListConcurrency}");
        return problems;
    }

    /// <summary>TLS to the gateways, when the cluster uses it (README "Operating"): the cluster certificate, a PKCS#12
    /// file with its private key (see <see cref="ClusterTls"/>). Unset: no TLS.</summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>The password of <see cref="TlsCertificatePath"/>, if it has one.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>The cluster authority's certificate; unset: the cluster certificate itself is the authority.</summary>
    public string? TlsAuthorityPath { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> with the first problem.</summary>
    internal void Validate()
    {
        if (Problems() is [var first, ..]) throw new ArgumentException($"SynergAI client options: {first}");
    }

    /// <summary>What is wrong with one <c>host:port</c> entry without resolving it, or null.</summary>
    static string? GatewaySyntaxProblem(string entry)
    {
        var colon = entry.LastIndexOf(':');
        if (colon <= 0 || colon == entry.Length - 1) return $"gateway '{entry}' is not host:port (e.g. localhost:30000)";
        var portText = entry[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return $"gateway '{entry}': port '{portText}' is not a number 1-65535";
        var host = entry[..colon];
        if (!(host.StartsWith('[') && host.EndsWith(']')) && host.Contains(':'))
            return $"gateway '{entry}': write an IPv6 address in brackets, e.g. [::1]:30000";
        return null;
    }
}

/// <summary>Validates <see cref="SynergAiClientOptions"/> when the host starts (all problems at once).</summary>
public sealed class SynergAiClientOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<SynergAiClientOptions>
{
    /// <inheritdoc/>
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, SynergAiClientOptions options) =>
        options.Problems() is { Count: > 0 } problems
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems.Select(p => $"SynergAI client options: {p}"))
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
