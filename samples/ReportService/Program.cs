// A grain-based service in its own silo, joining the SynergAI cluster (localhost clustering: the SynergAI silo is the
// primary). Its grains submit and watch jobs through the SDK over the silo's grain factory. Settings, e.g.
//   dotnet run --project samples/ReportService -- --PrimarySiloPort=11111 --SiloPort=11112 --GatewayPort=30001
// Runs the report grain once for --Day and exits: 0 when the job completed, 1 otherwise, 2 on a SynergAI error.
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SynergAI.Grains;
using SynergAI.Samples.ReportService;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var settings = builder.Configuration;
builder.UseOrleans(silo => silo.UseLocalhostClustering(
    siloPort: settings.GetValue("SiloPort", 11112),
    gatewayPort: settings.GetValue("GatewayPort", 30001), // this service's own gateway: its clients connect here
    primarySiloEndpoint: new IPEndPoint(IPAddress.Loopback, settings.GetValue("PrimarySiloPort", 11111)),
    serviceId: "synergai", clusterId: "synergai")); // the SynergAI cluster's ids (Orleans:ClusterId, Orleans:ServiceId)
builder.Services.AddSynergAiClientInSilo();

using var host = builder.Build();
await host.StartAsync();
try
{
    var grains = host.Services.GetRequiredService<IGrainFactory>();
    var day = settings.GetValue("Day", DateTime.UtcNow.ToString("yyyy-MM-dd"))!;
    var states = await grains.GetGrain<INightlyReportGrain>(day).Run(settings.GetValue("Pool", "default")!);
    Console.WriteLine($"nightly-{day}: {string.Join(" > ", states.Select(s => s.State))}");
    return states[^1].State == JobState.Completed ? 0 : 1;
}
catch (SynergAiException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
finally
{
    await host.StopAsync();
}
