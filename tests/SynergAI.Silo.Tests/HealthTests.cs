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

    [Fact]
    public async Task While_the_silo_has_not_joined_its_cluster_liveness_answers_and_readiness_says_why_not()
    {
        // A second silo of an in-memory cluster whose first silo (the primary) is not there: it keeps trying to join.
        await using var joining = SiloHost.Launch($"--Orleans:PrimarySiloPort={SiloHost.FreePort()}", "--Orleans:AcceptInMemoryStateLoss=true");
        using var http = joining.HttpClient();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await AnswersAsync(http, "health/live"))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"liveness never answered:\n{joining.Output}");
            await Task.Delay(200);
        }
        for (var i = 0; i < 3; i++) // not a passing moment: it stays not ready while it cannot join
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
            var membership = (await DetailAsync(http)).GetProperty("checks").GetProperty("membership");
            Assert.Equal("Unhealthy", membership.GetProperty("status").GetString());
            Assert.Contains("has not joined the cluster yet", membership.GetProperty("description").GetString());
            await Task.Delay(1000);
        }
    }

    static async Task<bool> AnswersAsync(HttpClient http, string path)
    {
        try
        {
            return (await http.GetAsync(path)).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
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
