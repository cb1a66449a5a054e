using System.Net;
using System.Net.Sockets;

namespace SynergAI.Persistence.Tests;

/// <summary>
/// Ports for the servers the tests start (PostgreSQL, silos), taken from 20000-31999: below Linux's ephemeral range
/// (32768-60999), so that no outgoing connection of a running silo or database can take a port between our probe and
/// the server's bind — which happened with ports from the OS's "any free port" (port 0). Each port is handed out once
/// per test process and probed free first.
/// </summary>
public static class TestPorts
{
    const int First = 20_000, Count = 12_000;
    static int _next = Environment.ProcessId * 7919 % Count; // different test processes start at different places

    public static int Next()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            if (IsFree(port)) return port;
        }
        throw new InvalidOperationException($"no free port in {First}-{First + Count - 1}");
    }

    static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
