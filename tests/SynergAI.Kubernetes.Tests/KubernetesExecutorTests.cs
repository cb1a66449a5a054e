using System.Diagnostics;
using SynergAI.Kubernetes.Tests.Fake;
using static SynergAI.Kubernetes.Tests.ExecutorHarness;

namespace SynergAI.Kubernetes.Tests;

/// <summary>The executor alone against the fake API server: each test gets its own fake and executor.</summary>
public class KubernetesExecutorTests
{
    static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public async Task A_pod_that_succeeds_is_reported_as_a_success_after_heartbeats_and_then_deleted()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(400));
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("ok"), default);
        await Eventually(() => h.Worker.Reports.Count > 0, "a report");

        var report = Assert.Single(h.Worker.Reports);
        Assert.Equal(("ok", 1, true, (string?)null), (report.Job, report.Attempt, report.Succeeded, report.Error));
        Assert.True(h.Worker.HeartbeatsOf("ok") >= 2, $"{h.Worker.HeartbeatsOf("ok")} heartbeats in 400 ms at 50 ms");
        var pod = Assert.Single(h.Fake.Pods);
        Assert.Equal("Succeeded", pod.Phase);
        await Eventually(() => pod.Deleted, "the finished pod to be deleted");
        Assert.Equal("executor", pod.DeletedBy);
        await Task.Delay(200);
        Assert.Single(h.Worker.Reports); // its deletion is not reported
    }

    [Fact]
    public async Task A_success_reports_its_engine_containers_run_time_in_model_seconds_and_a_short_run_none()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = async (pod, stopped) =>
        {
            pod.Run();
            await Task.Delay(Ms(50), stopped);
            if (pod.Job == "measured") pod.Succeed(ranFor: TimeSpan.FromSeconds(12.4)); // the container's times say 12-13 s
            else pod.Succeed();                                                         // well under a second
        };
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("measured"), default);
        await executor.StartAsync(Dispatch("short"), default);
        await Eventually(() => h.Worker.Reports.Count == 2, "two reports");

        // Whole seconds of real time ÷ the dispatch's time scale (0.01): 1,200 or 1,300 model seconds.
        var measured = h.Worker.ReportsOf("measured").Single().MeasuredSeconds;
        Assert.NotNull(measured);
        Assert.Contains(Math.Round(measured.Value, 6), new[] { 1200.0, 1300.0 });
        Assert.Null(h.Worker.ReportsOf("short").Single().MeasuredSeconds);
    }

    [Fact]
    public async Task A_pod_that_fails_is_reported_as_a_failure_with_the_containers_exit_code()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(100), succeed: false, exitCode: 3);
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("bad"), default);
        await Eventually(() => h.Worker.Reports.Count > 0, "a report");

        var report = Assert.Single(h.Worker.Reports);
        Assert.False(report.Succeeded);
        Assert.Contains("container 'engine' exited with code 3 (Error): scripted failure", report.Error);
    }

    [Fact]
    public async Task A_pod_deleted_by_someone_else_is_reported_as_a_failure()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(TimeSpan.FromSeconds(30));
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("gone"), default);
        await Eventually(() => h.Fake.Pods.Single().Phase == "Running", "the pod to run");
        Assert.True(h.Fake.DeleteAsSomeoneElse(h.Fake.Pods.Single().Name));
        await Eventually(() => h.Worker.Reports.Count > 0, "a report");

        var report = Assert.Single(h.Worker.Reports);
        Assert.False(report.Succeeded);
        Assert.StartsWith("pod deleted", report.Error);
    }

    [Fact]
    public async Task Dropped_watches_mid_run_are_resumed_and_the_run_still_completes()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(1200));
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("dropped"), default);
        await Eventually(() => h.Fake.Pods.Single().Phase == "Running", "the pod to run");
        for (var i = 0; i < 3; i++)
        {
            h.Fake.DropWatches();
            await Task.Delay(150);
        }
        await Eventually(() => h.Worker.Reports.Count > 0, "a report");

        Assert.True(Assert.Single(h.Worker.Reports).Succeeded);
        Assert.True(h.Fake.Requests.Count(r => r == "WATCH pods") >= 4, string.Join(", ", h.Fake.Requests));
        Assert.Equal(1, h.Fake.Requests.Count(r => r == "LIST pods")); // resumed from the last version, not re-listed
        Assert.True(h.Worker.HeartbeatsOf("dropped") >= 10); // heartbeats went on meanwhile
    }

    [Theory]
    [InlineData(false)] // a 200 stream holding one ERROR event with code 410 (what API servers do)
    [InlineData(true)]  // HTTP 410
    public async Task An_expired_resource_version_makes_it_list_again_and_a_pod_deleted_meanwhile_is_reported(bool goneAsHttpStatus)
    {
        await using var h = await StartAsync();
        h.Fake.GoneAsHttpStatus = goneAsHttpStatus;
        h.Fake.Behaviour = (pod, stopped) => pod.Job == "finishes"
            ? Behaviours.RunFor(Ms(800))(pod, stopped)
            : Behaviours.RunFor(TimeSpan.FromSeconds(30))(pod, stopped);
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("finishes"), default);
        await executor.StartAsync(Dispatch("vanishes"), default);
        await Eventually(() => h.Fake.Pods.All(p => p.Phase == "Running"), "both pods to run");
        h.Fake.ExpireResourceVersions(); // ends the watches; resuming from the old version gets 410
        h.Fake.DeleteAsSomeoneElse(h.Fake.PodsOf("vanishes").Single().Name); // while nobody watches
        await Eventually(() => h.Worker.Reports.Count == 2, "two reports");

        Assert.True(h.Worker.ReportsOf("finishes").Single().Succeeded);
        Assert.StartsWith("pod deleted", h.Worker.ReportsOf("vanishes").Single().Error);
        Assert.True(h.Fake.Requests.Count(r => r == "LIST pods") >= 2, string.Join(", ", h.Fake.Requests));
    }

    [Fact]
    public async Task Throttled_calls_wait_the_servers_Retry_After_and_create_exactly_one_pod()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(100));
        var executor = h.NewExecutor();
        await executor.StartAsync(Dispatch("warm-up"), default); // the watch is open: the 429s below all hit the create
        await Eventually(() => h.Worker.Reports.Count == 1 && h.Fake.Pods.Single().Deleted, "the warm-up to finish and its pod to go");

        h.Fake.Throttle(2, retryAfterSeconds: 1);
        var clock = Stopwatch.StartNew();
        await executor.StartAsync(Dispatch("throttled"), default);
        var took = clock.Elapsed;

        Assert.Equal(2, h.Fake.Throttled);
        Assert.True(took >= Ms(1900), $"took {took}: Retry-After (1 s, twice) was not honoured (own backoff is 10 ms)");
        var pod = Assert.Single(h.Fake.PodsOf("throttled"));
        Assert.Equal(1, h.Fake.CreateRequestsFor(pod.Name));
        await Eventually(() => h.Worker.ReportsOf("throttled").Count == 1, "a report");
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_is_retried_into_a_409_and_makes_one_pod()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(200));
        h.Fake.LoseNextCreateAnswer();
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("lost-answer"), default);

        var pod = Assert.Single(h.Fake.Pods);
        Assert.Equal(2, h.Fake.CreateRequestsFor(pod.Name)); // 503 (created), then 409
        await Eventually(() => h.Worker.Reports.Count == 1, "a report");
        Assert.True(h.Worker.Reports.Single().Succeeded);
    }

    [Fact]
    public async Task A_retried_start_makes_no_second_pod_and_one_report()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(500));
        var executor = h.NewExecutor();
        var dispatch = Dispatch("twice");

        await executor.StartAsync(dispatch, default);
        await Task.WhenAll(executor.StartAsync(dispatch, default), h.NewExecutor().StartAsync(dispatch, default));
        await Eventually(() => h.Worker.Reports.Count >= 1, "a report");
        await Task.Delay(300);

        var pod = Assert.Single(h.Fake.Pods);
        Assert.Equal(3, h.Fake.CreateRequestsFor(pod.Name));
        Assert.Equal(2, h.Worker.Reports.Count(r => r.Succeeded)); // once per executor that started it: the worker ignores the second
        Assert.Equal(1, h.Fake.Pods.Count(p => p.Job == "twice"));
    }

    [Fact]
    public async Task Cancel_deletes_the_pod_and_nothing_is_reported()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(TimeSpan.FromSeconds(30));
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("cancelled"), default);
        await Eventually(() => h.Fake.Pods.Single().Phase == "Running", "the pod to run");
        await executor.CancelAsync("cancelled", 1);

        var pod = h.Fake.Pods.Single();
        Assert.True(pod.Deleted);
        Assert.Equal("executor", pod.DeletedBy);
        var beats = h.Worker.HeartbeatsOf("cancelled");
        await Task.Delay(300);
        Assert.Empty(h.Worker.Reports);
        Assert.Equal(beats, h.Worker.HeartbeatsOf("cancelled"));
        Assert.Empty(executor.TrackedPods);
        await executor.CancelAsync("cancelled", 1); // again: already gone, fine
    }

    [Fact]
    public async Task A_pod_whose_worker_no_longer_holds_its_attempt_is_deleted_without_a_report()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(TimeSpan.FromSeconds(30));
        var executor = h.NewExecutor();
        await executor.StartAsync(Dispatch("let-go"), default);
        await Eventually(() => h.Fake.Pods.Single().Phase == "Running", "the pod to run");
        Assert.False(h.Fake.Pods.Single().Deleted);

        h.Worker.LetGo("let-go"); // the worker declared the attempt lost: its job may already run elsewhere
        await Eventually(() => h.Fake.Pods.Single().Deleted, "the pod to be deleted");
        Assert.Equal("executor", h.Fake.Pods.Single().DeletedBy);
        await Task.Delay(300);
        Assert.Empty(h.Worker.Reports);
        Assert.Empty(executor.TrackedPods);
    }

    [Fact]
    public async Task Resume_follows_a_pod_another_executor_started_and_says_false_for_one_that_does_not_exist()
    {
        await using var h = await StartAsync();
        h.Fake.Behaviour = Behaviours.RunFor(Ms(1000));
        var first = h.NewExecutor();
        var dispatch = Dispatch("moved");
        await first.StartAsync(dispatch, default);
        await Eventually(() => h.Fake.Pods.Single().Phase == "Running", "the pod to run");
        await first.DisposeAsync(); // its silo is gone; the pod runs on

        var second = h.NewExecutor();
        Assert.True(await second.ResumeAsync(dispatch, default));
        Assert.False(await second.ResumeAsync(Dispatch("never-started"), default));
        Assert.False(await second.ResumeAsync(dispatch with { Attempt = 2 }, default));
        await Eventually(() => h.Worker.Reports.Count == 1, "a report from the second executor");

        Assert.True(h.Worker.Reports.Single().Succeeded);
        Assert.Single(h.Fake.Pods);
    }

    [Fact]
    public async Task Resume_of_a_pod_that_finished_meanwhile_reports_it_at_once()
    {
        await using var h = await StartAsync(o => o.DeleteFinishedPods = false);
        h.Fake.Behaviour = Behaviours.RunFor(Ms(100), succeed: false, exitCode: 137);
        var first = h.NewExecutor();
        await first.StartAsync(Dispatch("finished-meanwhile"), default);
        await first.DisposeAsync(); // gone before the pod ended
        await Eventually(() => h.Fake.Pods.Single().Phase == "Failed", "the pod to fail");

        Assert.True(await h.NewExecutor().ResumeAsync(Dispatch("finished-meanwhile"), default));
        await Eventually(() => h.Worker.Reports.Count == 1, "the report");
        Assert.Contains("exited with code 137", h.Worker.Reports.Single().Error);
        Assert.False(h.Fake.Pods.Single().Deleted); // kept, as configured
    }

    [Fact]
    public async Task An_engine_without_an_image_cannot_start_and_creates_nothing()
    {
        await using var h = await StartAsync();
        var executor = h.NewExecutor();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => executor.StartAsync(Dispatch("unmapped", engine: "tf-resnet50"), default));
        Assert.Equal("no image for engine 'tf-resnet50' in SynergAI:Kubernetes:Engines", e.Message);
        Assert.Empty(h.Fake.Pods);
        Assert.Empty(executor.TrackedPods);
    }

    [Fact]
    public async Task A_pod_pending_too_long_is_deleted_and_reported_with_why_it_waited()
    {
        await using var h = await StartAsync(o => o.PendingTimeout = Ms(600));
        h.Fake.Behaviour = (pod, _) => { pod.Wait("ImagePullBackOff"); return Task.CompletedTask; };
        var executor = h.NewExecutor();

        await executor.StartAsync(Dispatch("stuck"), default);
        await Eventually(() => h.Worker.Reports.Count == 1, "a report");

        var report = h.Worker.Reports.Single();
        Assert.False(report.Succeeded);
        Assert.Contains("still pending", report.Error);
        Assert.Contains("ImagePullBackOff", report.Error);
        Assert.True(h.Worker.HeartbeatsOf("stuck") > 0); // while it waited
        Assert.True(h.Fake.Pods.Single().Deleted);
    }
}
