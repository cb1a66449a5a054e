using System.Net;
using System.Net.Sockets;

namespace SynergAI.Cli.Tests;

/// <summary>The silo process refuses, in one line and with exit code 1, to start where it would split or lose a pool:
/// on a taken port (Orleans binds with address reuse, so a second silo on the same ports used to start and form a
/// second cluster) and as one of several silos on in-memory storage.</summary>
public class SiloStartupTests
{
    static async Task<string> RefusedLine(SiloRun silo)
    {
        var code = await silo.ExitCodeAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 1, $"exit code {code}; output:\n{silo.Output}");
        var lines = silo.Lines.Where(l => l.Trim().Length > 0).ToList();
        Assert.True(lines.Count == 1, $"expected one line:\n{silo.Output}");
        var line = lines[0];
        Assert.StartsWith("synergai silo: cannot start: ", line);
        return line;
    }

    [Theory]
    [InlineData("silo", "--Orleans:SiloPort=PORT")]
    [InlineData("gateway", "--Orleans:GatewayPort=PORT")]
    [InlineData("http", "--urls http://localhost:PORT")]
    public async Task A_taken_port_stops_start_up_with_one_line_naming_the_setting(string which, string setting)
    {
        var (siloPort, gatewayPort, httpPort) = (SiloRun.FreePort(), SiloRun.FreePort(), SiloRun.FreePort());
        var taken = which switch { "silo" => siloPort, "gateway" => gatewayPort, _ => httpPort };
        using var occupant = new TcpListener(IPAddress.Loopback, taken);
        occupant.Start();

        // Accepting in-memory state loss leaves the port as the only problem, even next to a silo on the default ports.
        using var silo = SiloRun.Start(siloPort, gatewayPort, httpPort, "--Orleans:AcceptInMemoryStateLoss=true");
        var line = await RefusedLine(silo);
        Assert.Contains(taken.ToString(), line);
        Assert.Contains(setting, line);
    }

    [Fact]
    public async Task Several_silos_on_in_memory_storage_are_refused_unless_the_loss_of_state_is_accepted()
    {
        using var silo = SiloRun.Start("--Orleans:PrimarySiloPort=11111");
        var line = await RefusedLine(silo);
        Assert.Contains("in-memory storage", line);
        Assert.Contains("--ConnectionStrings:Postgres", line);
        Assert.Contains("--Orleans:AcceptInMemoryStateLoss=true", line);
    }

    [Fact]
    public async Task A_silo_that_would_form_a_second_in_memory_cluster_next_to_the_default_one_is_refused()
    {
        // Whatever holds the default silo port (a developer's silo, or this listener) counts as the first cluster.
        TcpListener? occupant = null;
        try
        {
            occupant = new TcpListener(IPAddress.Loopback, 11111);
            occupant.Start();
        }
        catch (SocketException) { occupant = null; /* taken already: by a silo */ }
        try
        {
            using var silo = SiloRun.Start();
            var line = await RefusedLine(silo);
            Assert.Contains("second cluster", line);
        }
        finally
        {
            occupant?.Stop();
        }
    }
}
