using System.Net;
using System.Text.Json;
using SynergAI.Grains;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Silo.Tests;

[Collection(SharedSiloCollection.Name)]
public sealed class HealthTests(SharedSilo shared)
{
    SiloHost Silo => shared.Silo;

    [Fact]
    public async Task Readiness_is_false_while_the_served_pool_has_no_worker()
    {
        using var http = Silo.HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);
        var detail = await DetailAsync(http);
        Assert.Equal("Healthy", detail.GetProperty("checks").GetProperty("membership").GetProperty("status").GetString());
        Assert.Equal("Healthy", detail.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());

        var workers = await Silo.Client.ListWorkersAsync();
        Assert.NotEmpty(workers);
        try
        {
            foreach (var w in workers) await Silo.Client.RegisterWorkerAsync(w.Spec!, Profile(w.Name), pool: "spare");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode); // liveness stays simple
            var pool = (await DetailAsync(http)).GetProperty("checks").GetProperty("pool-workers");
            Assert.Equal("Unhealthy", pool.GetProperty("status").GetString());
            Assert.Contains("has no worker", pool.GetProperty("description").GetString());
        }
        finally
        {
            foreach (var w in workers) await Silo.Client.RegisterWorkerAsync(w.Spec!, Profile(w.Name), pool: "default");
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);
    }

    static IEnumerable<ProfilePoint> Profile(string worker) =>
        ReferenceTestbed.LoadOr(null).Profile.Where(p => p.Worker == worker).Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds));

    static async Task<JsonElement> DetailAsync(HttpClient http)
    {
        using var response = await http.GetAsync("health");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}

[Collection(SharedSiloCollection.Name)]
public sealed class OpenSiloTests(SharedSilo shared)
{
    [Fact]
    public void On_localhost_without_keys_the_silo_runs_open_and_says_so() =>
        Assert.Contains("HTTP access is OPEN", shared.Silo.Output);
}
