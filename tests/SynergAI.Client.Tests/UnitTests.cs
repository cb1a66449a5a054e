using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using SynergAI.Grains;

namespace SynergAI.Client.Tests;

/// <summary>What an application's own code does with the SDK, tested against a mock of <see cref="ISynergAiClient"/>.</summary>
public sealed class ReportJob(ISynergAiClient synergai)
{
    /// <summary>Submits the day's report job; an engine the pool lacks falls back to the first one it knows.</summary>
    public async Task<JobStatus> RunAsync(DateOnly day)
    {
        var spec = new JobSpec("onnx-resnet50-opset11", 3900, 900);
        try
        {
            return await synergai.SubmitAsync(spec, $"report-{day:yyyy-MM-dd}");
        }
        catch (UnknownEngineException e) when (e.KnownEngines.Count > 0)
        {
            return await synergai.SubmitAsync(spec with { Engine = e.KnownEngines[0] }, $"report-{day:yyyy-MM-dd}-fallback");
        }
    }
}

public class UnitTests
{
    [Fact]
    public async Task Application_code_can_be_tested_against_a_mocked_client()
    {
        var synergai = Substitute.For<ISynergAiClient>();
        var fallback = new JobStatus("report-2026-11-30-fallback", "default", new JobSpec("tf-resnet50", 3900, 900), JobState.Queued,
            0, null, null, DateTimeOffset.UtcNow, null, null, null, null, null, null, 1);
        synergai.SubmitAsync(Arg.Is<JobSpec>(s => s.Engine == "onnx-resnet50-opset11"), Arg.Any<string?>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .ThrowsAsync(new UnknownEngineException("onnx-resnet50-opset11", "default", ["tf-resnet50", "tf-mobilenet"]));
        synergai.SubmitAsync(Arg.Is<JobSpec>(s => s.Engine == "tf-resnet50"), Arg.Any<string?>(), Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(fallback);

        var status = await new ReportJob(synergai).RunAsync(new DateOnly(2026, 11, 30));

        Assert.Equal(fallback, status);
        await synergai.Received(1).SubmitAsync(Arg.Is<JobSpec>(s => s.Engine == "tf-resnet50"), "report-2026-11-30-fallback",
            Arg.Any<string>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public void Options_bound_from_configuration_are_the_ones_IOptions_returns_and_the_client_uses()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SynergAI:Gateways:0"] = "localhost:30001",
            ["SynergAI:Gateways:1"] = "127.0.0.1:30002",
            ["SynergAI:PollInterval"] = "00:00:00.100",
            ["SynergAI:ConnectTimeout"] = "00:00:03",
        }).Build();
        var services = new ServiceCollection();
        services.AddSynergAiClient(configuration.GetSection("SynergAI"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SynergAiClientOptions>>().Value;
        Assert.Equal(["localhost:30001", "127.0.0.1:30002"], options.Gateways); // replaces the default, not added to it
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectTimeout);
        Assert.Same(provider.GetRequiredService<SynergAiClient>(), provider.GetRequiredService<ISynergAiClient>());
    }

    [Fact]
    public void The_configure_action_runs_when_the_options_are_needed_not_at_registration()
    {
        var runs = 0;
        var services = new ServiceCollection();
        services.AddSynergAiClient(o => { runs++; o.Gateways = ["no-such-host.invalid:30000"]; }); // not resolved here
        Assert.Equal(0, runs);
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["no-such-host.invalid:30000"], provider.GetRequiredService<IOptions<SynergAiClientOptions>>().Value.Gateways);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Bad_options_stop_the_host_at_start_with_every_problem()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSynergAiClient(o =>
        {
            o.Gateways = ["localhost", "localhost:99999"];
            o.RetryFor = TimeSpan.FromSeconds(-1);
        });
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(error.Failures, f => f.Contains("gateway 'localhost' is not host:port"));
        Assert.Contains(error.Failures, f => f.Contains("port '99999'"));
        Assert.Contains(error.Failures, f => f.Contains("RetryFor must not be negative"));
    }

    [Fact]
    public async Task A_host_with_no_silo_to_reach_gives_up_after_the_connect_timeout()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSynergAiClient(o =>
        {
            o.Gateways = ["127.0.0.1:1"];
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
        });
        using var host = builder.Build();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() => host.StartAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));
        Assert.Equal("127.0.0.1:1", error.Where);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task An_outage_is_retried_for_RetryFor_and_then_reported_as_ClusterUnreachable()
    {
        var grains = Substitute.For<IGrainFactory>();
        var job = Substitute.For<IJobGrain>();
        var calls = 0;
        job.GetStatus().Returns(_ => { calls++; return Task.FromException<JobStatus?>(new TimeoutException("no answer from the silo")); });
        grains.GetGrain<IJobGrain>("job-1", null).Returns(job);
        var client = new SynergAiClient(grains, new SynergAiClientOptions { RetryFor = TimeSpan.FromSeconds(1) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() => client.GetAsync("job-1"));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.True(calls > 1, $"{calls} call(s): not retried");
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Contains("no answer from the silo", error.Message);
    }

    [Fact]
    public async Task A_refusal_is_an_answer_and_is_not_retried()
    {
        var grains = Substitute.For<IGrainFactory>();
        var job = Substitute.For<IJobGrain>();
        job.Cancel().ThrowsAsync(new UnknownJobException("job-2"));
        grains.GetGrain<IJobGrain>("job-2", null).Returns(job);
        var client = new SynergAiClient(grains, new SynergAiClientOptions { RetryFor = TimeSpan.FromSeconds(30) });

        await Assert.ThrowsAsync<UnknownJobException>(() => client.CancelAsync("job-2"));
        await job.Received(1).Cancel();
    }
}

/// <summary>The SDK's one retry policy on plain calls, without a cluster.</summary>
public class CallPolicyTests
{
    static CallPolicy Policy() => new(new SynergAiClientOptions { RetryFor = TimeSpan.FromSeconds(5) }, "test");

    [Fact]
    public async Task A_call_the_cluster_cancelled_is_retried_like_an_outage()
    {
        var calls = 0;
        var answer = await Policy().Run(() => ++calls == 1
            ? Task.FromException<int>(new TaskCanceledException("Activation was cancelled by the runtime."))
            : Task.FromResult(42), CancellationToken.None);
        Assert.Equal((42, 2), (answer, calls));
    }

    [Fact]
    public async Task A_call_the_caller_cancelled_is_not_retried()
    {
        using var cancel = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Policy().Run(() =>
        {
            calls++;
            cancel.Cancel();
            return Task.FromException<int>(new OperationCanceledException(cancel.Token));
        }, cancel.Token));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_refusal_is_an_answer_and_is_not_retried()
    {
        var calls = 0;
        await Assert.ThrowsAsync<UnknownJobException>(() => Policy().Run(() =>
        {
            calls++;
            return Task.FromException<int>(new UnknownJobException("job-1"));
        }, CancellationToken.None));
        Assert.Equal(1, calls);
    }
}
