using SynergAI.Grains;

namespace SynergAI.Grains.Tests;

/// <summary>Submitting jobs: idempotency, conflicting specs and rejected input, which must leave every piece of state
/// (job, queue, listing, workers) as it was.</summary>
[Collection(ControlPlaneCollection.Name)]
public class JobSubmissionTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;
    static readonly JobSpec Short = new(TestSupport.Engine, 5, 1e6);

    [Fact]
    public async Task Submitting_the_same_id_and_spec_again_returns_the_existing_job_and_queues_it_once()
    {
        const string pool = "sub-idem";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var job = $"{pool}-job";
        try
        {
            await Client.StartBlocker(blocker, pool); // the only worker is busy: the job stays queued
            var first = await Client.Job(job).Submit(Short, pool);
            var again = await Client.Job(job).Submit(Short, pool);
            var concurrent = await Task.WhenAll(Client.Job(job).Submit(Short, pool), Client.Job(job).Submit(Short, pool));

            Assert.Equal(JobState.Queued, first.State);
            foreach (var status in concurrent.Prepend(again))
            {
                Assert.Equal(first.Id, status.Id);
                Assert.Equal(first.Spec, status.Spec);
                Assert.Equal(first.SubmittedAt, status.SubmittedAt); // the existing job, not a new submission
                Assert.Equal(JobState.Queued, status.State);
                Assert.Equal(0, status.Attempts);
            }
            var queue = await Client.WaitForPool(pool, p => p.Queue.Any(q => q.Job == job), "the job to be queued");
            Assert.Single(queue.Queue, q => q.Job == job);
            Assert.Single(await Client.Coordinator(pool).ListJobs(), id => id == job);
        }
        finally
        {
            await Client.CancelQuietly(job, blocker);
        }
    }

    [Fact]
    public async Task The_same_id_with_another_spec_is_rejected_with_a_clear_error_and_the_original_is_untouched()
    {
        const string pool = "sub-conflict";
        await fixture.Pool(pool, pool, ["x86"]);
        var blocker = $"{pool}-blocker";
        var job = $"{pool}-job";
        try
        {
            await Client.StartBlocker(blocker, pool);
            var original = await Client.Job(job).Submit(Short, pool);

            var otherQueries = await Assert.ThrowsAsync<JobConflictException>(() => Client.Job(job).Submit(Short with { Queries = 6 }, pool));
            Assert.Contains($"job '{job}' already exists with another spec", otherQueries.Message);
            Assert.Contains("submit under another id", otherQueries.Message);
            // The typed error crosses the wire with what a caller needs to decide.
            Assert.Equal(job, otherQueries.JobId);
            Assert.Equal(Short, otherQueries.ExistingSpec);
            Assert.Equal(pool, otherQueries.ExistingPool);
            Assert.False(otherQueries.IsTransient);
            await Assert.ThrowsAsync<JobConflictException>(() => Client.Job(job).Submit(Short with { QosSeconds = 2e6 }, pool));
            await Assert.ThrowsAsync<JobConflictException>(() => Client.Job(job).Submit(Short with { Engine = TestSupport.SplitEngine }, pool));
            // Same spec in another pool is another job too.
            await Assert.ThrowsAsync<JobConflictException>(() => Client.Job(job).Submit(Short, "sub-conflict-other"));

            Assert.Equal(original, await Client.Job(job).GetStatus());
            var status = await Client.Coordinator(pool).GetStatus();
            var queued = Assert.Single(status.Queue, q => q.Job == job);
            Assert.Equal(Short.Engine, queued.Engine);
            Assert.Single(await Client.Coordinator(pool).ListJobs(), id => id == job);
        }
        finally
        {
            await Client.CancelQuietly(job, blocker);
        }
    }

    [Theory]
    [InlineData("nan-qos", TestSupport.Engine, 10, double.NaN, "qos must be a finite number of seconds, got NaN")]
    [InlineData("inf-qos", TestSupport.Engine, 10, double.PositiveInfinity, "qos must be a finite number")]
    [InlineData("minus-inf-qos", TestSupport.Engine, 10, double.NegativeInfinity, "qos must be a finite number")]
    [InlineData("zero-qos", TestSupport.Engine, 10, 0.0, "qos must be greater than 0 seconds, got 0")]
    [InlineData("negative-qos", TestSupport.Engine, 10, -5.0, "qos must be greater than 0 seconds, got -5")]
    [InlineData("zero-queries", TestSupport.Engine, 0, 100.0, "queries must be greater than 0, got 0")]
    [InlineData("negative-queries", TestSupport.Engine, -3, 100.0, "queries must be greater than 0, got -3")]
    [InlineData("empty-engine", "", 10, 100.0, "engine must not be empty")]
    [InlineData("blank-engine", "   ", 10, 100.0, "engine must not be empty")]
    public async Task A_bad_spec_is_rejected_with_a_clear_message_and_changes_nothing(string name, string engine, int queries, double qos, string message)
    {
        var pool = $"sub-bad-{name}";
        var job = $"{pool}-job";
        var error = await AssertRejectedWithoutChanges<ArgumentException>(pool, job, new JobSpec(engine, queries, qos));
        Assert.Contains(message, error.Message);

        // Nothing was stored under the id: it is free for a good submission, which runs normally.
        var accepted = await Client.Job(job).Submit(Short, pool);
        Assert.Equal(Short, accepted.Spec);
        Assert.Equal(JobState.Completed, (await Client.WaitFinished(job)).State);
    }

    [Fact]
    public async Task An_unknown_engine_is_rejected_with_the_engines_the_pool_knows_and_changes_nothing()
    {
        const string pool = "sub-bad-unknown-engine";
        var job = $"{pool}-job";
        var error = await AssertRejectedWithoutChanges<UnknownEngineException>(pool, job, new JobSpec("onnx-yolo-v9", 10, 100));
        Assert.Contains($"no worker in pool '{pool}' can run engine 'onnx-yolo-v9'; known engines: ", error.Message);
        Assert.Equal("onnx-yolo-v9", error.Engine);
        Assert.Equal(pool, error.Pool);
        var engines = (await Client.Coordinator(pool).GetStatus()).Engines;
        Assert.NotEmpty(error.KnownEngines);
        Assert.Equal(engines.Order(StringComparer.Ordinal), error.KnownEngines);

        // Nothing was stored under the id: it is free for a good submission, which runs normally.
        var accepted = await Client.Job(job).Submit(Short, pool);
        Assert.Equal(Short, accepted.Spec);
        Assert.Equal(JobState.Completed, (await Client.WaitFinished(job)).State);
    }

    [Fact]
    public async Task An_all_digit_id_is_rejected_with_a_clear_message_and_changes_nothing()
    {
        const string pool = "sub-digits";
        var error = await AssertRejectedWithoutChanges<ArgumentException>(pool, "20240417", Short);
        Assert.Contains("job id '20240417' is all digits", error.Message);
        Assert.Contains("job-20240417", error.Message); // says what to do instead
    }

    [Fact]
    public async Task A_pool_without_workers_rejects_jobs_and_stores_nothing()
    {
        const string pool = "sub-no-workers";
        var job = $"{pool}-job";
        var error = await Assert.ThrowsAsync<PoolNotReadyException>(() => Client.Job(job).Submit(Short, pool));
        Assert.Contains($"pool '{pool}' has no workers (yet)", error.Message);
        Assert.Equal(pool, error.Pool);
        Assert.True(error.IsTransient);
        Assert.Null(await Client.Job(job).GetStatus());
        var status = await Client.Coordinator(pool).GetStatus();
        Assert.Empty(status.Queue);
        Assert.Empty(status.Workers);
        Assert.Equal(0, status.Running);
        Assert.DoesNotContain(job, await Client.Coordinator(pool).ListJobs());
        await Client.Quiet(pool);
    }

    /// <summary>A one-worker pool that has already run a job; the submission must fail with <typeparamref name="TError"/>
    /// and leave the job unknown, the pool's queue, running count and listing, and the worker exactly as they were.</summary>
    async Task<TError> AssertRejectedWithoutChanges<TError>(string pool, string job, JobSpec spec) where TError : Exception
    {
        var workers = await fixture.Pool(pool, pool, ["x86"]);
        var earlier = $"{pool}-earlier";
        await Client.Job(earlier).Submit(Short, pool);
        Assert.Equal(JobState.Completed, (await Client.WaitFinished(earlier)).State);
        var before = await Client.WaitForPool(pool, p => p.Running == 0, "the earlier job to leave the books");
        var listedBefore = await Client.Coordinator(pool).ListJobs();
        var workerBefore = await Client.Worker(workers[0]).GetStatus();

        var error = await Assert.ThrowsAsync<TError>(() => Client.Job(job).Submit(spec, pool));

        Assert.Null(await Client.Job(job).GetStatus());
        var after = await Client.Coordinator(pool).GetStatus();
        Assert.Equal(before.Queue, after.Queue);
        Assert.Empty(after.Queue);
        Assert.Equal(0, after.Running);
        Assert.Equal(before.Workers, after.Workers);
        Assert.Equal(listedBefore, await Client.Coordinator(pool).ListJobs());
        Assert.DoesNotContain(job, await Client.Coordinator(pool).ListJobs());
        var workerAfter = await Client.Worker(workers[0]).GetStatus();
        Assert.Equal(WorkerCondition.Free, workerAfter.Condition);
        Assert.Equal(TestSupport.Essentials(workerBefore), TestSupport.Essentials(workerAfter));
        return error;
    }
}
