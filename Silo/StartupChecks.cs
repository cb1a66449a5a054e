using System.Net;
using System.Net.Sockets;

namespace SynergAI.Silo;

/// <summary>
/// What is checked before the silo starts, so that a second silo on a taken port, or an in-memory "cluster" that would
/// lose its state, stops with a line that names the setting to change instead of forming a second cluster (Orleans
/// binds with address reuse, so two silos on one port both start) or crashing in Kestrel with a stack trace.
/// </summary>
public static class StartupChecks
{
    /// <summary>Taken ports, each with the setting that moves it.</summary>
    public static IEnumerable<string> TakenPorts(OrleansEndpointOptions endpoint, IConfiguration configuration)
    {
        var orleansAddress = endpoint.ListenOnAnyHostAddress ? IPAddress.Any
            : IPAddress.TryParse(endpoint.AdvertisedIPAddress, out var advertised) ? advertised : IPAddress.Loopback;
        if (!IsFree(orleansAddress, endpoint.SiloPort))
            yield return $"silo port {endpoint.SiloPort} is in use (another silo?): choose another with --Orleans:SiloPort=PORT";
        if (!IsFree(orleansAddress, endpoint.GatewayPort))
            yield return $"gateway port {endpoint.GatewayPort} is in use (another silo?): choose another with --Orleans:GatewayPort=PORT";
        foreach (var (url, address, port) in HttpEndpoints(configuration))
            if (!IsFree(address, port))
                yield return $"HTTP address {url} is in use (another silo?): choose another with --urls http://localhost:PORT";
    }

    /// <summary>Several silos sharing in-memory storage lose the state of whichever stops (the pool's record lives on
    /// one of them); a silo that would form a second cluster next to a running one splits the jobs. Both only with a
    /// setting that accepts it.</summary>
    public static IEnumerable<string> InMemoryClusterProblems(OrleansEndpointOptions endpoint)
    {
        if (endpoint.AcceptInMemoryStateLoss) yield break;
        const string fix = "use PostgreSQL (--ConnectionStrings:Postgres=…, see README \"Reliability\"), " +
                           "or accept losing state with --Orleans:AcceptInMemoryStateLoss=true";
        if (endpoint.PrimarySiloPort != 0)
            yield return $"Orleans:PrimarySiloPort={endpoint.PrimarySiloPort} joins several silos on in-memory storage, " +
                         $"which lose every job and worker when one stops: {fix}";
        else if (endpoint.SiloPort != OrleansEndpointOptions.DefaultSiloPort && !IsFree(IPAddress.Loopback, OrleansEndpointOptions.DefaultSiloPort))
            yield return $"a silo already listens on port {OrleansEndpointOptions.DefaultSiloPort}; this one would form a second cluster " +
                         $"with a pool of the same name (jobs split between them): stop it, or {fix}";
    }

    /// <summary>Where Kestrel will listen: <c>urls</c> (<c>--urls</c>, <c>ASPNETCORE_URLS</c>) or <c>http_ports</c>
    /// (<c>ASPNETCORE_HTTP_PORTS</c>), else ASP.NET Core's default http://localhost:5000. Hosts that are not an IP
    /// address or localhost are left to Kestrel.</summary>
    static IEnumerable<(string Url, IPAddress Address, int Port)> HttpEndpoints(IConfiguration configuration)
    {
        var urls = configuration["urls"];
        var ports = configuration["http_ports"];
        if (string.IsNullOrWhiteSpace(urls) && !string.IsNullOrWhiteSpace(ports))
            urls = string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"));
        if (string.IsNullOrWhiteSpace(urls)) urls = "http://localhost:5000";
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "*" and "+" are Kestrel's "every interface"; Uri does not accept them as hosts.
            var parsable = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Port <= 0) continue;
            var host = uri.Host.Trim('[', ']');
            IPAddress? address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : IPAddress.TryParse(host, out var ip) ? ip : null;
            if (address is not null) yield return (url, address, uri.Port);
        }
    }

    const int LinuxSolSocket = 1, LinuxSoReuseAddr = 2;

    /// <summary>Whether a listener could bind there now. Without address reuse (which .NET maps to SO_REUSEPORT on
    /// Linux, as Orleans sets it), so that any other listener makes the bind fail.</summary>
    static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Plain SO_REUSEADDR (not .NET's ReuseAddress, which adds SO_REUSEPORT on Linux): a silo restarted on its
            // ports right after a kill finds them in TIME_WAIT, which must not count as taken.
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(LinuxSolSocket, LinuxSoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
        catch (SocketException)
        {
            return true; // e.g. an address this host does not have: Orleans or Kestrel reports that themselves
        }
    }
}
