using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SynergAI.Grains;

namespace SynergAI.Silo.Tests;

/// <summary>A silo with two API keys: a viewer's and an operator's.</summary>
public sealed class KeyedSilo : IAsyncLifetime
{
    public const string ViewerKey = "viewer-key-0123456789", OperatorKey = "operator-key-0123456789";
    public SiloHost Silo { get; private set; } = null!;
    public async Task InitializeAsync() => Silo = await SiloHost.StartAsync(
        "--Access:ApiKeys:0:Name=dashboard", $"--Access:ApiKeys:0:Key={ViewerKey}", "--Access:ApiKeys:0:Role=viewer",
        "--Access:ApiKeys:1:Name=ops", $"--Access:ApiKeys:1:Key={OperatorKey}", "--Access:ApiKeys:1:Role=operator",
        "--Operating:Dashboard=true");
    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class KeyedSiloCollection : ICollectionFixture<KeyedSilo>
{
    public const string Name = "keyed silo";
}

[Collection(KeyedSiloCollection.Name)]
public sealed class AccessTests(KeyedSilo keyed)
{
    SiloHost Silo => keyed.Silo;

    [Theory]
    [InlineData("/"), InlineData("/metrics"), InlineData("/health"), InlineData("/api/pools"), InlineData("/jobs"), InlineData("/dashboard")]
    public async Task Without_a_key_or_with_a_wrong_one_every_page_but_the_probes_answers_401(string path)
    {
        using var anonymous = Silo.HttpClient();
        using var response = await anonymous.GetAsync(path.TrimStart('/'));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString()); // a browser asks for the key
        using var wrong = Silo.HttpClient("not-a-key-of-this-silo");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path.TrimStart('/'))).StatusCode);
        using var viewer = Silo.HttpClient(KeyedSilo.ViewerKey);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(path.TrimStart('/'))).StatusCode);
    }

    [Fact]
    public async Task The_probes_need_no_key()
    {
        using var anonymous = Silo.HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/ready")).StatusCode);
    }

    [Fact]
    public async Task A_viewer_reads_but_cannot_submit_or_cancel_and_changes_nothing()
    {
        using var viewer = Silo.HttpClient(KeyedSilo.ViewerKey);
        var id = $"job-viewer-{Guid.NewGuid():N}";
        using var submit = await viewer.PostAsJsonAsync($"api/pools/default/jobs?id={id}", new JobSpec("tf-mobilenet", 100, 600));
        Assert.Equal(HttpStatusCode.Forbidden, submit.StatusCode);
        Assert.Null(await Silo.Client.GetAsync(id));

        var job = await Silo.Client.SubmitAsync(new JobSpec("tf-mobilenet", 50_000, 6000));
        using var cancel = await viewer.PostAsync($"api/jobs/{job.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        Assert.NotEqual(JobState.Cancelled, (await Silo.Client.GetAsync(job.Id))!.State);
        await Silo.Client.CancelAsync(job.Id);
    }

    [Fact]
    public async Task An_operator_submits_and_cancels_with_a_bearer_token_or_basic_authentication()
    {
        using var bearer = Silo.HttpClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyedSilo.OperatorKey);
        var id = $"job-operator-{Guid.NewGuid():N}";
        using var submit = await bearer.PostAsJsonAsync($"api/pools/default/jobs?id={id}", new JobSpec("tf-mobilenet", 50_000, 6000));
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        Assert.NotNull(await Silo.Client.GetAsync(id));

        using var basic = Silo.HttpClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"me:{KeyedSilo.OperatorKey}")));
        using var cancel = await basic.PostAsync($"api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(JobState.Cancelled, (await Silo.Client.GetAsync(id))!.State);

        using var bad = await bearer.PostAsJsonAsync("api/pools/default/jobs", new JobSpec("no-such-engine", 10, 60));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}

public sealed class OpenAccessTests
{
    [Theory]
    [InlineData("--urls=http://0.0.0.0:5999", null)]
    [InlineData(null, "5999")] // as in the container image: ASPNETCORE_HTTP_PORTS listens on every interface
    public async Task Without_keys_a_silo_that_listens_beyond_localhost_does_not_start(string? urls, string? httpPorts)
    {
        var dll = SiloHost.Built("Silo", "SynergAI.Silo.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardError = true, RedirectStandardOutput = true };
        if (httpPorts is not null) info.Environment["ASPNETCORE_HTTP_PORTS"] = httpPorts;
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var arg in new[] { dll, urls ?? "--Logging:LogLevel:Default=Warning", "--Orleans:SiloPort=21998", "--Orleans:GatewayPort=21999" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("Access:ApiKeys: none configured", await stderr);
    }
}
