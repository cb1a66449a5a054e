using Microsoft.Extensions.Options;
using SynergAI.Grains;
using SynergAI.Grains.Coordination;
using SynergAI.Scheduling.Forecast;

namespace SynergAI.Grains.Tests;

/// <summary>What a worker learns from measured runs, on plain data: <see cref="WorkerLearning"/> on ProfileCorrections'
/// rule, what it stores and publishes; and the <c>SynergAI:Drift</c> setting's checks.</summary>
public class WorkerLearningTests
{
    static WorkerLearning New(out List<MeasuredRun> runs, out List<ProfileCorrection> published)
    {
        runs = [];
        published = [];
        return new WorkerLearning("w", runs, published);
    }

    static readonly (string, string)[] Profile = [("e1", "c1"), ("e1", "c2"), ("e2", "c1")];

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(0.0)]
    [InlineData(-3.0)]
    public void A_measured_time_that_cannot_be_right_changes_nothing(double measured)
    {
        var learning = New(out var runs, out var published);
        for (var i = 0; i < 3; i++) Assert.True(learning.Record("e1", "c1", 10, 20));
        Assert.True(learning.Republish(Profile));
        var before = (runs.Count, published.Count, learning.Fingerprint(), learning.DriftFactor, learning.Learned("e1", "c1"));

        Assert.False(learning.Record("e1", "c1", 10, measured));
        Assert.False(learning.Record("e1", "c1", measured, 10)); // nor a bad profile time
        Assert.False(learning.Republish(Profile));
        Assert.Equal(before, (runs.Count, published.Count, learning.Fingerprint(), learning.DriftFactor, learning.Learned("e1", "c1")));
        Assert.Equal(2.0, learning.Factor("e1", "c1"));
    }

    [Fact]
    public void A_steady_1_5x_worker_is_flagged_at_its_third_run_and_its_factors_are_published()
    {
        var learning = New(out _, out var published);
        Assert.Null(learning.DriftFactor);
        Assert.True(learning.Record("e1", "c1", 10, 15));
        Assert.Null(learning.DriftFactor); // one run is not persistent
        // The worker's runs of every engine stand in for configurations without runs of their own.
        Assert.True(learning.Republish(Profile));
        Assert.All(Profile, p => Assert.Equal(1.5, learning.Factor(p.Item1, p.Item2)));
        Assert.Equal(3, published.Count);
        Assert.True(learning.Record("e2", "c1", 4, 6));
        Assert.Null(learning.DriftFactor);
        Assert.True(learning.Record("e1", "c2", 8, 12));
        Assert.Equal(1.5, learning.DriftFactor!.Value, 9);
        Assert.False(learning.Republish(Profile)); // nothing moved
        Assert.Equal(ProfileCorrections.MinRunsForDrift, learning.StoredRuns);
    }

    [Fact]
    public void One_outlier_neither_flags_the_worker_nor_moves_its_estimates()
    {
        var learning = New(out _, out var published);
        foreach (var measured in new[] { 10.0, 10.2, 100, 9.9, 10.1 }) learning.Record("e1", "c1", 10, measured);
        Assert.Null(learning.DriftFactor);
        Assert.False(learning.Republish(Profile)); // within a step of 1: nothing published
        Assert.Empty(published);
        Assert.Equal("", learning.Fingerprint());
        Assert.Equal(1, learning.Factor("e1", "c1"));
    }

    [Fact]
    public void Published_factors_move_only_by_whole_steps_and_back_to_one_leaves_nothing_published()
    {
        var learning = New(out _, out var published);
        learning.Record("e1", "c1", 10, 10.4);
        Assert.False(learning.Republish(Profile)); // 1.04: less than a step from 1
        learning.Record("e1", "c1", 10, 12.6); // median of 1.04 and 1.26: 1.15
        Assert.True(learning.Republish(Profile));
        Assert.Equal(1.15, learning.Factor("e1", "c1"), 9);
        for (var i = 0; i < ProfileCorrections.Window; i++) learning.Record("e1", "c1", 10, 10);
        Assert.True(learning.Republish(Profile));
        Assert.Empty(published);
        Assert.Null(learning.DriftFactor);
    }

    [Fact]
    public void A_restored_learning_replays_its_stored_runs_to_exactly_what_it_had()
    {
        var learning = New(out var runs, out var published);
        var random = new Random(7);
        var pairs = new[] { ("e1", "c1"), ("e1", "c2"), ("e2", "c1"), ("e3", "c9") };
        for (var i = 0; i < 200; i++)
        {
            var (engine, config) = pairs[i < 150 ? random.Next(pairs.Length) : 0];
            learning.Record(engine, config, 10, 10 * (1 + random.NextDouble()));
            learning.Republish(Profile);
        }
        // Only what the rule still looks at is stored: the latest Window overall and of each (engine, configuration).
        Assert.True(runs.Count <= ProfileCorrections.Window * (pairs.Length + 1), $"{runs.Count} runs stored");

        var restored = new WorkerLearning("w", [.. runs], [.. published]);
        foreach (var (engine, config) in pairs)
        {
            Assert.Equal(learning.Learned(engine, config), restored.Learned(engine, config));
            Assert.Equal(learning.Runs(engine, config), restored.Runs(engine, config));
            Assert.Equal(learning.Factor(engine, config), restored.Factor(engine, config));
        }
        Assert.Equal(learning.DriftFactor, restored.DriftFactor);
        Assert.Equal(learning.Fingerprint(), restored.Fingerprint());
    }

    [Fact]
    public void Estimates_use_the_published_corrections_in_the_profiles_own_configurations()
    {
        var dictionary = TestSupport.ReferenceDictionary;
        var x86 = dictionary.WorkerIndex("x86");
        var request = new EstimateRequest([TestSupport.Engine], [0, 0], [100, 1000]);
        var plain = EstimateAnswers.Of("x86", dictionary, x86, request);
        var corrected = EstimateAnswers.Of("x86", dictionary, x86, request, (_, _) => 1.5);
        Assert.Equal(plain.Configs, corrected.Configs);
        Assert.Equal(plain.OptimalConfig, corrected.OptimalConfig);
        for (var j = 0; j < 2; j++)
        {
            Assert.Equal(plain.OptimalSeconds[j] * 1.5, corrected.OptimalSeconds[j], 9);
            Assert.Equal(plain.DefaultSeconds[j] * 1.5, corrected.DefaultSeconds[j], 9);
        }
    }

    [Theory]
    [InlineData("agx=1.5", true)]
    [InlineData("agx=1.5@600, nano=0.8", true)]
    [InlineData("agx=1.5;nano=2@0", true)]
    [InlineData("", true)]
    [InlineData("agx", false)]
    [InlineData("agx=0", false)]
    [InlineData("agx=fast", false)]
    [InlineData("agx=1.5@-1", false)]
    [InlineData("agx=1.5,agx=2", false)]
    public void The_drift_setting_takes_experiment_drifts_rule(string drift, bool valid)
    {
        var result = new SynergAiOptionsValidator().Validate(null, new SynergAiOptions { Drift = drift });
        Assert.Equal(valid, result.Succeeded);
        if (!valid) Assert.Contains("SynergAI:Drift", result.FailureMessage);
        else Assert.Equal(drift.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries).Length, new SynergAiOptions { Drift = drift }.Drifts().Count);
    }
}

/// <summary>The worker grain learning from its runs on the shared cluster: bad or stale reports change nothing, and a
/// worker the simulated executor drifts (<c>SynergAI:Drift</c>, see <see cref="ControlPlaneCluster.Settings"/>) is
/// flagged within its first 5 runs, with its estimates and the pool's quotes corrected.</summary>
[Collection(ControlPlaneCollection.Name)]
public class WorkerLearningClusterTests(ControlPlaneCluster fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    IClusterClient Client => fixture.Client;

    const int LongQueries = 5000; // ~3 s real on the x86 at time scale 0.01: the test's own report ends it first

    static double ProfileSeconds(string config, int queries) =>
        TestSupport.ProfileOf("x86").Single(p => p.Engine == TestSupport.Engine && p.Config == config) is var p
            ? p.PreprocessSeconds + queries / p.Qps : 0;

    /// <summary>Starts a long job on the pool's one worker and ends its attempt with the test's own report of
    /// <paramref name="measured"/> (of the profile's time); returns the job's final status.</summary>
    async Task<JobStatus> RunAndReport(string pool, string worker, string job, Func<double, double?> measured)
    {
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, LongQueries, 1e5), pool);
        var running = await Client.WaitForJob(job, s => s.State == JobState.Running, "to run");
        await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, running.Attempts, true, null,
            measured(ProfileSeconds(running.Config!, LongQueries))));
        var done = await Client.WaitFinished(job);
        await TestSupport.Until(() => Client.Worker(worker).GetStatus(), w => w.Condition == WorkerCondition.Free, "the worker free");
        return done;
    }

    async Task<double[]> Estimates(string worker) =>
        (await Client.WorkerRuntime(worker).Estimate(new EstimateRequest([TestSupport.Engine], [0], [1000]))).OptimalSeconds;

    [Fact]
    public async Task Bad_measured_times_and_reports_of_stale_attempts_change_nothing()
    {
        const string pool = "lrn-bad";
        var worker = (await fixture.Pool(pool, pool, ["x86"]))[0];
        var profile = TestSupport.OptimalSeconds(TestSupport.Engine, "x86", 1000);
        Assert.Equal(profile, (await Estimates(worker))[0], 9);

        // Three runs at 2× the profile: flagged, estimates doubled.
        for (var i = 0; i < 3; i++) await RunAndReport(pool, worker, $"{pool}-slow-{i}", p => 2 * p);
        var learned = await Client.Worker(worker).GetStatus();
        Assert.Equal(2.0, learned.DriftFactor!.Value, 9);
        var estimates = await Estimates(worker);
        Assert.Equal(2 * profile, estimates[0], 9);

        // Bad measured times: the run itself succeeded (the job completes), but nothing is learned.
        var bad = new double?[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, -12.5, null };
        for (var i = 0; i < bad.Length; i++)
        {
            var done = await RunAndReport(pool, worker, $"{pool}-bad-{i}", _ => bad[i]);
            Assert.Equal(JobState.Completed, done.State);
            Assert.Equal(learned.DriftFactor, (await Client.Worker(worker).GetStatus()).DriftFactor);
            Assert.Equal(estimates, await Estimates(worker));
        }

        // Reports of attempts that are not the running one, at a quarter of the profile (three of them would move the
        // median): ignored while the job runs, and after it finished.
        var job = $"{pool}-stale";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, LongQueries, 1e5), pool);
        var running = await Client.WaitForJob(job, s => s.State == JobState.Running, "to run");
        var quarter = ProfileSeconds(running.Config!, LongQueries) / 4;
        foreach (var attempt in new[] { running.Attempts + 1, running.Attempts - 1, running.Attempts + 2 })
            await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, attempt, true, null, quarter));
        await Client.WorkerRuntime(worker).Report(new ExecutionReport($"{pool}-someone-else", running.Attempts, true, null, quarter));
        Assert.Equal(WorkerCondition.Busy, (await Client.Worker(worker).GetStatus()).Condition);
        await Client.Job(job).Cancel();
        for (var i = 0; i < 3; i++)
            await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, running.Attempts, true, null, quarter));
        await TestSupport.Until(() => Client.Worker(worker).GetStatus(), w => w.Condition == WorkerCondition.Free, "the worker free");
        Assert.Equal(learned.DriftFactor, (await Client.Worker(worker).GetStatus()).DriftFactor);
        Assert.Equal(estimates, await Estimates(worker));
    }

    [Fact]
    public async Task A_drifted_worker_is_flagged_within_its_first_5_runs_and_its_estimates_are_corrected()
    {
        const string pool = ControlPlaneCluster.DriftedPool;
        var worker = (await fixture.Pool(pool, pool, ["x86"]))[0];
        Assert.Equal(ControlPlaneCluster.DriftedWorker, worker);
        var spec = new JobSpec(TestSupport.Engine, 1000, 1e5);
        var profile = TestSupport.OptimalSeconds(TestSupport.Engine, "x86", spec.Queries);
        var before = await Client.Coordinator(pool).Quote(spec);
        Assert.Equal(profile, before.FinishesInSeconds!.Value - before.StartsInSeconds!.Value, 6);

        int? flaggedAt = null;
        for (var run = 1; run <= 5 && flaggedAt is null; run++)
        {
            var job = $"{pool}-{run}";
            await Client.Job(job).Submit(spec, pool);
            Assert.Equal(JobState.Completed, (await Client.WaitFinished(job)).State);
            await TestSupport.Until(() => Client.Worker(worker).GetStatus(), w => w.Condition == WorkerCondition.Free, "the worker free");
            if ((await Client.Worker(worker).GetStatus()).DriftFactor is not null) flaggedAt = run;
        }
        Assert.NotNull(flaggedAt);
        Assert.True(flaggedAt <= 5);
        var status = await Client.Worker(worker).GetStatus();
        Assert.Equal(ControlPlaneCluster.DriftFactor, status.DriftFactor!.Value, 6);

        // The worker's own estimates and the pool's (whose shards asked it again) are 1.5× the profile.
        var own = await Client.WorkerRuntime(worker).Estimate(new EstimateRequest([spec.Engine], [0], [spec.Queries]));
        Assert.Equal(ControlPlaneCluster.DriftFactor * profile, own.OptimalSeconds[0], 6);
        var after = await TestSupport.Until(() => Client.Coordinator(pool).Quote(spec),
            q => Math.Abs(q.FinishesInSeconds!.Value - q.StartsInSeconds!.Value - ControlPlaneCluster.DriftFactor * profile) < 1e-6, "a corrected quote", 5);
        Assert.Equal(worker, after.Worker);
        output.WriteLine(FormattableString.Invariant(
            $"RESULT live drift: {worker} drifted {ControlPlaneCluster.DriftFactor}x flagged after run {flaggedAt} with factor {status.DriftFactor:0.###}; estimate {own.OptimalSeconds[0]:0.##} s vs profile {profile:0.##} s; quote {after.FinishesInSeconds - after.StartsInSeconds:0.##} s"));
    }
}
