// A console app on the SynergAI SDK. Settings from the command line or environment, e.g.
//   dotnet run --project samples/ConsoleApp -- --SynergAI:Gateways:0=localhost:30000 --Jobs=5
// Exit code 0 when every job completed, 1 when one did not, 2 on a SynergAI error (its message on stderr).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SynergAI.Client;
using SynergAI.Grains;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSynergAiClient(builder.Configuration.GetSection("SynergAI"));
var jobs = builder.Configuration.GetValue("Jobs", 5);
var pool = builder.Configuration.GetValue("Pool", SynergAiClientOptions.DefaultPool)!;

using var host = builder.Build();
try
{
    await host.StartAsync(); // validates the options and connects (or fails after SynergAI:ConnectTimeout)
    var synergai = host.Services.GetRequiredService<ISynergAiClient>();
    var started = DateTimeOffset.UtcNow;

    // Submitted and watched concurrently; each watch reports every state the job goes through, in order.
    var outcomes = await Task.WhenAll(Enumerable.Range(0, jobs).Select(async _ =>
    {
        var job = await synergai.SubmitAsync(new JobSpec("tf-mobilenet", Queries: 100, QosSeconds: 60), pool: pool);
        var states = new List<JobState>();
        await foreach (var status in synergai.WatchAsync(job.Id)) states.Add(status.State);
        Console.WriteLine($"{job.Id}: {string.Join(" > ", states)}");
        return states[^1];
    }));

    var completed = await synergai.ListJobsAsync(new JobQuery(pool, States: [JobState.Completed], SubmittedFrom: started.AddSeconds(-1)));
    Console.WriteLine($"completed: {outcomes.Count(s => s == JobState.Completed)} of {jobs}; listed as completed since start: {completed.Jobs.Count}");
    return outcomes.All(s => s == JobState.Completed) ? 0 : 1;
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
