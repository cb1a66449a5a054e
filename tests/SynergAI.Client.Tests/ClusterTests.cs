using SynergAI.Grains;

namespace SynergAI.Client.Tests;

/// <summary>The SDK against a live in-process cluster: pushed watches, typed errors, cancellation, retries.</summary>
[Collection(SdkCollection.Name)]
public class ClusterTests(SdkCluster fixture)
{
    SynergAiClient Client => fixture.Client;
    static readonly JobSpec Short = new("tf-resnet50", 5, 1e6);

    [Fact]
    public async Task A_watch_sees_every_state_of_50_of_50_jobs_in_order_and_each_once()
    {
        const string pool = "sdk-watch";
        await fixture.ReferencePool(pool);
        var ids = Enumerable.Range(0, 50).Select(i => $"{pool}-{i}").ToList();
        // Watches start as the jobs are submitted, as a caller would: a change made before the watch subscribed is
        // caught up from the job's grain, later ones are pushed.
        var watched = await Task.WhenAll(ids.Select(async id =>
        {
            await Client.SubmitAsync(Short, id, pool);
            var seen = new List<JobState>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await foreach (var status in Client.WatchAsync(id, timeout.Token)) seen.Add(status.State);
            return (Id: id, Seen: seen);
        }));

        JobState[] lifecycle = [JobState.Queued, JobState.Dispatched, JobState.Running, JobState.Completed];
        var complete = watched.Count(w => w.Seen.SequenceEqual(lifecycle));
        Assert.True(complete == 50, string.Join("; ", watched.Where(w => !w.Seen.SequenceEqual(lifecycle))
            .Select(w => $"{w.Id}: {string.Join(" > ", w.Seen)}")));
    }

    [Fact]
    public async Task A_watch_is_pushed_to_and_does_not_poll()
    {
        const string pool = "sdk-push";
        await fixture.ReferencePool(pool);
        var id = $"{pool}-job";
        // A slow poll and renewal: if the states came by polling, the watch would take at least this long per state.
        var client = new SynergAiClient(fixture.Cluster.Client, new SynergAiClientOptions
        {
            PollInterval = TimeSpan.FromSeconds(30), WatchRenewInterval = TimeSpan.FromSeconds(30),
        });
        await client.SubmitAsync(new JobSpec("tf-resnet50", 200, 1e6), id, pool); // about 13 model s: 130 ms real
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var states = new List<JobState>();
        await foreach (var status in client.WatchAsync(id)) states.Add(status.State);
        Assert.Equal(JobState.Completed, states[^1]);
        Assert.Contains(JobState.Running, states);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the watch took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_watch_whose_job_grain_was_deactivated_resubscribes_and_misses_no_state()
    {
        const string pool = "sdk-moved";
        await fixture.ReferencePool(pool, "x86");
        var client = new SynergAiClient(fixture.Cluster.Client, new SynergAiClientOptions { WatchRenewInterval = TimeSpan.FromSeconds(1) });
        var blocker = $"{pool}-blocker";
        var job = $"{pool}-job";
        await client.SubmitAsync(new JobSpec("tf-resnet50", 100_000, 1e6), blocker, pool); // about 60 s real on the only worker
        await client.SubmitAsync(Short, job, pool);
        var states = new List<JobState>();
        await using var watch = client.WatchAsync(job).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        states.Add(watch.Current.State);

        // The job's grain loses its activation, and with it the watch's subscription; the job runs on a new one.
        await fixture.Cluster.Client.GetGrain<IJobGrain>(job).AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(300);
        await client.CancelAsync(blocker);
        while (await watch.MoveNextAsync()) states.Add(watch.Current.State);

        Assert.Equal([JobState.Queued, JobState.Dispatched, JobState.Running, JobState.Completed], states);
    }

    [Fact]
    public async Task Watching_or_cancelling_an_unknown_job_is_a_typed_error()
    {
        var watch = await Assert.ThrowsAsync<UnknownJobException>(async () =>
        {
            await foreach (var _ in Client.WatchAsync("sdk-never-submitted")) { }
        });
        Assert.Equal("sdk-never-submitted", watch.JobId);
        var cancel = await Assert.ThrowsAsync<UnknownJobException>(() => Client.CancelAsync("sdk-never-submitted"));
        Assert.Equal("sdk-never-submitted", cancel.JobId);
        Assert.Null(await Client.GetAsync("sdk-never-submitted"));
    }

    [Fact]
    public async Task Refusals_arrive_typed_with_their_data_and_are_not_retried()
    {
        const string pool = "sdk-refusals";
        await fixture.ReferencePool(pool);
        var id = $"{pool}-job";
        await Client.SubmitAsync(Short, id, pool);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var conflict = await Assert.ThrowsAsync<JobConflictException>(() => Client.SubmitAsync(Short with { Queries = 6 }, id, pool));
        Assert.Equal(Short, conflict.ExistingSpec);
        var engine = await Assert.ThrowsAsync<UnknownEngineException>(() => Client.SubmitAsync(Short with { Engine = "onnx-yolo-v9" }, pool: pool));
        Assert.Equal("onnx-yolo-v9", engine.Engine);
        Assert.Contains("tf-resnet50", engine.KnownEngines);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusals took {clock.Elapsed}: were they retried?");
    }

    [Fact]
    public async Task A_submission_to_a_pool_whose_workers_are_still_registering_is_retried_until_they_are()
    {
        const string pool = "sdk-not-ready";
        var submitted = Client.SubmitAsync(Short, $"{pool}-job", pool); // no workers yet: PoolNotReady, retried
        await Task.Delay(1500);
        Assert.False(submitted.IsCompleted, "the submission should still be waiting for the pool");
        await fixture.ReferencePool(pool);
        var status = await submitted;
        Assert.Equal(pool, status.Pool);
        Assert.Equal(JobState.Completed, (await Client.WaitForCompletionAsync(status.Id)).State);
    }

    [Fact]
    public async Task A_pool_that_never_gets_workers_is_reported_after_the_wait()
    {
        var client = new SynergAiClient(fixture.Cluster.Client, new SynergAiClientOptions { PoolReadyWait = TimeSpan.FromSeconds(1) });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PoolNotReadyException>(() => client.SubmitAsync(Short, pool: "sdk-tyop"));
        Assert.Equal("sdk-tyop", error.Pool);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task A_cancelled_submission_without_an_id_says_the_id_it_was_sent_under()
    {
        const string pool = "sdk-cancelled";
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)); // while it waits for the pool
        var error = await Assert.ThrowsAsync<JobSubmissionCancelledException>(() => Client.SubmitAsync(Short, pool: pool, cancellationToken: cancel.Token));
        Assert.StartsWith("job-", error.JobId);
        Assert.Null(await Client.GetAsync(error.JobId)); // not accepted (the pool had no workers) …
        await fixture.ReferencePool(pool);
        var accepted = await Client.SubmitAsync(Short, error.JobId, pool); // … so the same id can be submitted again
        Assert.Equal(error.JobId, accepted.Id);
    }

    [Fact]
    public async Task Reading_a_pool_that_does_not_exist_does_not_create_it()
    {
        var status = await Client.GetPoolAsync("sdk-read-only");
        Assert.Empty(status.Workers);
        await Client.ListJobsAsync("sdk-read-only");
        await Client.ListWorkersAsync("sdk-read-only");
        var pools = await fixture.Cluster.Client.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).List();
        Assert.DoesNotContain("sdk-read-only", pools);
    }

    [Fact]
    public async Task Code_inside_the_silo_submits_and_watches_through_its_own_grain_factory()
    {
        const string pool = "sdk-in-silo";
        await fixture.ReferencePool(pool);
        var inSilo = fixture.InSilo;
        var status = await inSilo.SubmitAsync(Short, pool: pool);
        var states = new List<JobState>();
        await foreach (var s in inSilo.WatchAsync(status.Id)) states.Add(s.State);
        Assert.Equal([JobState.Queued, JobState.Dispatched, JobState.Running, JobState.Completed], states);
    }
}

/// <summary>Listing jobs with filters and pages, answered by the job history.</summary>
[Collection(SdkCollection.Name)]
public class ListingTests(SdkCluster fixture)
{
    [Fact]
    public async Task Jobs_are_listed_by_state_engine_and_time_a_page_at_a_time_each_once()
    {
        const string pool = "sdk-list";
        await fixture.ReferencePool(pool);
        var client = fixture.Client;
        var start = DateTimeOffset.UtcNow;
        var resnet = Enumerable.Range(0, 25).Select(i => $"{pool}-resnet-{i:00}").ToList();
        var mobilenet = Enumerable.Range(0, 12).Select(i => $"{pool}-mobilenet-{i:00}").ToList();
        foreach (var id in resnet) await client.SubmitAsync(new JobSpec("tf-resnet50", 5, 1e6), id, pool);
        foreach (var id in mobilenet) await client.SubmitAsync(new JobSpec("tf-mobilenet", 5, 1e6), id, pool);
        await Task.WhenAll(resnet.Concat(mobilenet).Select(id => client.WaitForCompletionAsync(id)));
        var cancelled = $"{pool}-cancelled";
        await client.SubmitAsync(new JobSpec("tf-resnet50", 100_000, 1e6), cancelled, pool); // long: still queued or running
        await client.CancelAsync(cancelled);

        // Pages of 10 over the resnet jobs: 3 pages, every job once, in submission order.
        var listed = new List<JobStatus>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await client.ListJobsAsync(new JobQuery(pool, Engine: "tf-resnet50", States: [JobState.Completed], PageSize: 10,
                ContinuationToken: token));
            Assert.True(page.Jobs.Count <= 10);
            listed.AddRange(page.Jobs);
            token = page.ContinuationToken;
            pages++;
        } while (token is not null);
        Assert.Equal(3, pages);
        Assert.Equal(resnet, listed.Select(j => j.Id));
        Assert.All(listed, j => Assert.Equal(JobState.Completed, j.State));

        var cancelledOnly = await client.ListJobsAsync(new JobQuery(pool, States: [JobState.Cancelled]));
        Assert.Equal([cancelled], cancelledOnly.Jobs.Select(j => j.Id));
        Assert.Null(cancelledOnly.ContinuationToken);

        var all = await client.ListJobsAsync(new JobQuery(pool, SubmittedFrom: start, PageSize: 1000));
        Assert.Equal(resnet.Count + mobilenet.Count + 1, all.Jobs.Count);
        var none = await client.ListJobsAsync(new JobQuery(pool, SubmittedBefore: start));
        Assert.Empty(none.Jobs);

        await Assert.ThrowsAsync<ArgumentException>(() => client.ListJobsAsync(new JobQuery(pool, PageSize: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListJobsAsync(new JobQuery(pool, ContinuationToken: "not a token")));
    }
}
