using SynergAI.Grains;

namespace SynergAI.Grains.Tests;

/// <summary>The worker node grain: profile validation, its own configuration dictionary, estimates, atomic reservation
/// and fencing of reports by attempt.</summary>
[Collection(ControlPlaneCollection.Name)]
public class WorkerNodeTests(ControlPlaneCluster fixture)
{
    IClusterClient Client => fixture.Client;

    /// <summary>A small hand-made profile: e1's c* is c2 (higher QPS); e2's two configurations tie on QPS, so c* is the
    /// one with less pre-processing, c1. The default configuration is c1.</summary>
    static WorkerSpec SmallSpec(string name) => new(name, "x86_64", 4, 8, "c1");
    static ProfilePoint[] SmallProfile() =>
    [
        new("e1", "c1", 10, 1),
        new("e1", "c2", 20, 2),
        new("e2", "c1", 5, 0),
        new("e2", "c2", 5, 0.5),
    ];

    public static TheoryData<string> BadRegistrations => new(BadCases.Keys);

    static readonly Dictionary<string, Func<string, (WorkerSpec Spec, ProfilePoint[] Profile, string Pool, string Message)>> BadCases = new()
    {
        ["nan-qps"] = n => (SmallSpec(n), Replace(0, p => p with { Qps = double.NaN }), "wk-pool", "profile row (e1, c1): qps must be a positive finite number, got NaN"),
        ["infinite-qps"] = n => (SmallSpec(n), Replace(0, p => p with { Qps = double.PositiveInfinity }), "wk-pool", "qps must be a positive finite number"),
        ["zero-qps"] = n => (SmallSpec(n), Replace(1, p => p with { Qps = 0 }), "wk-pool", "profile row (e1, c2): qps must be a positive finite number, got 0"),
        ["negative-qps"] = n => (SmallSpec(n), Replace(2, p => p with { Qps = -3 }), "wk-pool", "qps must be a positive finite number, got -3"),
        ["negative-preprocess"] = n => (SmallSpec(n), Replace(3, p => p with { PreprocessSeconds = -0.5 }), "wk-pool", "profile row (e2, c2): preprocess_s must be a finite number ≥ 0, got -0.5"),
        ["nan-preprocess"] = n => (SmallSpec(n), Replace(3, p => p with { PreprocessSeconds = double.NaN }), "wk-pool", "preprocess_s must be a finite number ≥ 0, got NaN"),
        ["missing-default-row"] = n => (SmallSpec(n), [.. SmallProfile().Where(p => !(p.Engine == "e2" && p.Config == "c1"))], "wk-pool", "engine 'e2' has no row for the default_config 'c1'"),
        ["unknown-default-config"] = n => (SmallSpec(n) with { DefaultConfig = "c9" }, SmallProfile(), "wk-pool", "has no row for the default_config 'c9'"),
        ["duplicate-row"] = n => (SmallSpec(n), [.. SmallProfile(), new("e1", "c2", 30, 1)], "wk-pool", "profile row (e1, c2): duplicate row"),
        ["name-mismatch"] = n => (SmallSpec("someone-else"), SmallProfile(), "wk-pool", $"worker spec is named 'someone-else' but was sent to worker '{n}'"),
        ["empty-profile"] = n => (SmallSpec(n), [], "wk-pool", "the profile is empty"),
        ["empty-engine"] = n => (SmallSpec(n), Replace(0, p => p with { Engine = " " }), "wk-pool", "engine and config must not be empty"),
        ["empty-default-config"] = n => (SmallSpec(n) with { DefaultConfig = "" }, SmallProfile(), "wk-pool", "default_config must not be empty"),
        ["zero-cpus"] = n => (SmallSpec(n) with { Cpus = 0 }, SmallProfile(), "wk-pool", "cpus and memory_gb must be positive"),
        ["empty-pool"] = n => (SmallSpec(n), SmallProfile(), " ", "pool must not be empty"),
    };

    static ProfilePoint[] Replace(int row, Func<ProfilePoint, ProfilePoint> change)
    {
        var profile = SmallProfile();
        profile[row] = change(profile[row]);
        return profile;
    }

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task A_bad_registration_is_rejected_and_the_worker_stays_unregistered(string name)
    {
        var worker = $"wk-bad-{name}";
        var (spec, profile, pool, message) = BadCases[name](worker);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Client.Worker(worker).Register(spec, profile, pool));
        Assert.Contains(message, error.Message);

        var status = await Client.Worker(worker).GetStatus();
        Assert.Equal(WorkerCondition.Unregistered, status.Condition);
        Assert.Null(status.Spec);
        Assert.Null(status.Pool);
        Assert.Empty(status.Dictionary);
        Assert.DoesNotContain(worker, (await Client.Coordinator("wk-pool").GetStatus()).Workers);
        await Client.Quiet("wk-pool");
    }

    [Fact]
    public async Task A_bad_re_registration_is_rejected_and_the_worker_keeps_its_previous_profile()
    {
        const string pool = "wk-pool";
        const string worker = "wk-rereg";
        var registered = await Client.Worker(worker).Register(SmallSpec(worker), SmallProfile(), pool);
        var request = new EstimateRequest(["e1", "e2"], [0, 1], [100, 100]);
        var estimates = await Client.WorkerRuntime(worker).Estimate(request);

        foreach (var (name, make) in BadCases)
        {
            var (spec, profile, badPool, _) = make(worker);
            await Assert.ThrowsAsync<ArgumentException>(() => Client.Worker(worker).Register(spec, profile, badPool));
            var now = await Client.Worker(worker).GetStatus();
            Assert.True(registered.Spec == now.Spec, $"{name}: the spec changed to {now.Spec}");
            Assert.Equal(pool, now.Pool);
            Assert.Equal(WorkerCondition.Free, now.Condition);
            Assert.Equal(registered.Dictionary, now.Dictionary);
            var again = await Client.WorkerRuntime(worker).Estimate(request);
            Assert.Equal(estimates.OptimalSeconds, again.OptimalSeconds);
            Assert.Equal(estimates.DefaultSeconds, again.DefaultSeconds);
        }
        var poolStatus = await Client.Coordinator(pool).GetStatus();
        Assert.Contains(worker, poolStatus.Workers);
        Assert.Contains("e1", poolStatus.Engines);
        Assert.Contains("e2", poolStatus.Engines);
        await Client.Quiet(pool);
    }

    [Fact]
    public async Task The_status_dictionary_holds_the_workers_optimal_configuration_for_every_engine()
    {
        const string worker = "wk-dict-x86";
        var status = await Client.Worker(worker).Register(TestSupport.SpecOf("x86", worker), TestSupport.ProfileOf("x86"), "wk-dict");

        var expected = TestSupport.ReferenceDictionary.OptimalConfigurations("x86")
            .Select(p => new ProfilePoint(p.Key, p.Value.Config, p.Value.Qps, p.Value.PreprocessSeconds))
            .OrderBy(c => c.Engine, StringComparer.Ordinal).ToList();
        Assert.Equal(12, expected.Count);
        Assert.Equal(expected, status.Dictionary.OrderBy(c => c.Engine, StringComparer.Ordinal));
        Assert.Equal(expected, (await Client.Worker(worker).GetStatus()).Dictionary.OrderBy(c => c.Engine, StringComparer.Ordinal));
        Assert.Equal(WorkerCondition.Free, status.Condition);
        Assert.Equal("wk-dict", status.Pool);

        // Tie on QPS → less pre-processing wins.
        var small = await Client.Worker("wk-dict-small").Register(SmallSpec("wk-dict-small"), SmallProfile(), "wk-dict");
        Assert.Equal(new ProfilePoint("e1", "c2", 20, 2), small.Dictionary.Single(c => c.Engine == "e1"));
        Assert.Equal(new ProfilePoint("e2", "c1", 5, 0), small.Dictionary.Single(c => c.Engine == "e2"));
        await Client.Quiet("wk-dict");
    }

    [Fact]
    public async Task Estimate_gives_T_pre_plus_q_over_QPS_in_c_star_and_in_the_default_configuration_and_minus_one_for_unknown_engines()
    {
        const string worker = "wk-estimate";
        await Client.Worker(worker).Register(SmallSpec(worker), SmallProfile(), "wk-estimate");
        var answer = await Client.WorkerRuntime(worker).Estimate(new EstimateRequest(["e1", "nope", "e2"], [0, 1, 2, 0], [100, 7, 100, 1]));

        Assert.Equal(worker, answer.Worker);
        // job 0: e1, q=100: c* c2 = 2 + 100/20 = 7; default c1 = 1 + 100/10 = 11
        Assert.Equal("c2", answer.Configs[answer.OptimalConfig[0]]);
        Assert.Equal(7, answer.OptimalSeconds[0], 9);
        Assert.Equal("c1", answer.Configs[answer.DefaultConfig[0]]);
        Assert.Equal(11, answer.DefaultSeconds[0], 9);
        // job 1: an engine the worker lacks
        Assert.Equal(-1, answer.OptimalConfig[1]);
        Assert.Equal(-1, answer.DefaultConfig[1]);
        // job 2: e2, q=100: c* = default = c1 = 0 + 100/5 = 20
        Assert.Equal("c1", answer.Configs[answer.OptimalConfig[2]]);
        Assert.Equal(20, answer.OptimalSeconds[2], 9);
        Assert.Equal(20, answer.DefaultSeconds[2], 9);
        // job 3: e1, q=1: still c*, even though the default would be quicker for one query (2.05 vs 1.1)
        Assert.Equal("c2", answer.Configs[answer.OptimalConfig[3]]);
        Assert.Equal(2.05, answer.OptimalSeconds[3], 9);
        Assert.Equal(1.1, answer.DefaultSeconds[3], 9);

        // An unregistered worker can run nothing.
        var nobody = await Client.WorkerRuntime("wk-estimate-nobody").Estimate(new EstimateRequest(["e1"], [0, 0], [1, 2]));
        Assert.Equal(new[] { -1, -1 }, nobody.OptimalConfig);
        Assert.Equal(new[] { -1, -1 }, nobody.DefaultConfig);
        await Client.Quiet("wk-estimate");
    }

    [Fact]
    public async Task Estimate_of_a_reference_worker_matches_the_configuration_dictionary()
    {
        const string worker = "wk-estimate-agx";
        await Client.Worker(worker).Register(TestSupport.SpecOf("agx", worker), TestSupport.ProfileOf("agx"), "wk-estimate");
        var engines = TestSupport.ReferenceDictionary.Engines.ToArray();
        var answer = await Client.WorkerRuntime(worker).Estimate(new EstimateRequest(engines, [.. engines.Select((_, i) => i)], [.. engines.Select((_, i) => 50 + 100 * i)]));
        for (var j = 0; j < engines.Length; j++)
        {
            var e = TestSupport.ReferenceDictionary.EngineIndex(engines[j]);
            var w = TestSupport.ReferenceDictionary.WorkerIndex("agx");
            var optimal = TestSupport.ReferenceDictionary.Optimal(e, w)!;
            var standard = TestSupport.ReferenceDictionary.Default(e, w)!;
            Assert.Equal(optimal.Config, answer.Configs[answer.OptimalConfig[j]]);
            Assert.Equal(optimal.EstimateSeconds(50 + 100 * j), answer.OptimalSeconds[j], 9);
            Assert.Equal("mode=1", answer.Configs[answer.DefaultConfig[j]]);
            Assert.Equal(standard.EstimateSeconds(50 + 100 * j), answer.DefaultSeconds[j], 9);
        }
    }

    /// <summary>A job whose attempt runs declines a newer dispatch to another worker (a stale copy of it queued again,
    /// e.g. a retried enqueue that arrived after its dispatch): the other worker frees itself and the first run goes on
    /// alone. Driven by hand-made dispatches of pool Q, as in the test below.</summary>
    [Fact]
    public async Task A_job_whose_attempt_runs_declines_a_newer_dispatch_to_another_worker()
    {
        const string p = "wk-fence-p";
        const string q = "wk-fence-q";
        await fixture.Pool(p, p, ["x86"]);
        var targets = await fixture.Pool(q, q, ["x86", "agx"]);
        var blocker = $"{p}-blocker";
        var job = $"{p}-a";
        try
        {
            await Client.StartBlocker(blocker, p);
            var spec = new JobSpec(TestSupport.Engine, 5000, 1e5);
            Assert.Equal(JobState.Queued, (await Client.Job(job).Submit(spec, p)).State);
            Dispatch To(string worker, int attempt) => new(job, attempt, q, worker, spec.Engine, spec.Queries, "threads=16",
                TestSupport.OptimalSeconds(spec.Engine, "x86", spec.Queries), 0.01, DateTimeOffset.UtcNow, "test");

            Assert.Equal(StartResult.Started, await Client.WorkerRuntime(targets[0]).Start(To(targets[0], 1)));
            Assert.Equal(StartResult.JobDeclined, await Client.WorkerRuntime(targets[1]).Start(To(targets[1], 2)));

            Assert.Equal(WorkerCondition.Free, (await Client.Worker(targets[1]).GetStatus()).Condition);
            var status = (await Client.Job(job).GetStatus())!;
            Assert.Equal((1, targets[0]), (status.Attempts, status.Worker));
            Assert.Equal(JobState.Completed, (await Client.WaitFinished(job)).State);
            Assert.Equal(1, (await Client.Job(job).GetStatus())!.Attempts);
        }
        finally
        {
            await Client.CancelQuietly([job, blocker]);
        }
    }

    /// <summary>
    /// Two Start calls race for one free worker. The jobs must be real, submitted jobs: for never-submitted ids
    /// OnDispatched declines, the worker frees itself at once and the second Start then finds it free too — both calls
    /// would answer JobDeclined and the race would prove nothing. So the jobs are queued in pool P, whose only worker is
    /// held by a blocker (P never dispatches them), and the race is on a free worker of another pool Q, driven by
    /// hand-made dispatches of Q.
    /// </summary>
    [Fact]
    public async Task Reservation_is_atomic_two_concurrent_starts_on_a_free_worker_give_one_Started_and_one_Busy()
    {
        const string p = "wk-atomic-p";
        const string q = "wk-atomic-q";
        await fixture.Pool(p, p, ["x86"]);
        var target = (await fixture.Pool(q, q, ["x86"]))[0];
        var blocker = $"{p}-blocker";
        var jobs = new[] { $"{p}-a", $"{p}-b" };
        try
        {
            await Client.StartBlocker(blocker, p);
            var spec = new JobSpec(TestSupport.Engine, 5000, 1e5); // about 1 s at time scale 0.01: still running when its worker is asked
            foreach (var job in jobs) Assert.Equal(JobState.Queued, (await Client.Job(job).Submit(spec, p)).State);

            Dispatch For(string job) => new(job, 1, q, target, spec.Engine, spec.Queries, "threads=16",
                TestSupport.OptimalSeconds(spec.Engine, "x86", spec.Queries), 0.01, DateTimeOffset.UtcNow, "test");
            var results = await Task.WhenAll(jobs.Select(j => Client.WorkerRuntime(target).Start(For(j))));

            Assert.Equal(1, results.Count(r => r == StartResult.Started));
            Assert.Equal(1, results.Count(r => r == StartResult.Busy));
            var winner = jobs[Array.IndexOf(results, StartResult.Started)];
            var loser = jobs[Array.IndexOf(results, StartResult.Busy)];

            var worker = await Client.Worker(target).GetStatus();
            Assert.Equal(WorkerCondition.Busy, worker.Condition);
            Assert.Equal(winner, worker.RunningJob);
            Assert.Equal(1, worker.RunningAttempt);
            var won = (await Client.Job(winner).GetStatus())!;
            Assert.Equal(target, won.Worker);
            Assert.Equal(1, won.Attempts);
            var lost = (await Client.Job(loser).GetStatus())!;
            Assert.Equal(JobState.Queued, lost.State); // a Busy answer leaves the job alone
            Assert.Equal(0, lost.Attempts);

            // The same dispatch again (a retried call) is answered Started and does not disturb the running attempt.
            Assert.Equal(StartResult.Started, await Client.WorkerRuntime(target).Start(For(winner)));
            Assert.Equal(StartResult.Busy, await Client.WorkerRuntime(target).Start(For(loser)));
            Assert.Equal(StartResult.Busy, await Client.WorkerRuntime(target).Start(For(winner) with { Attempt = 2 }));

            Assert.Equal(JobState.Completed, (await Client.WaitFinished(winner)).State);
            // The job hears of its end before the worker lets go of it (see WorkerNodeGrain.EndAttempt).
            await TestSupport.Until(() => Client.Worker(target).GetStatus(), w => w.Condition == WorkerCondition.Free, "the worker free again");
        }
        finally
        {
            await Client.CancelQuietly([.. jobs, blocker]);
        }
    }

    [Fact]
    public async Task An_unregistered_worker_or_one_of_another_pool_does_not_start_anything()
    {
        var d = new Dispatch("wk-start-job", 1, "wk-start", "wk-start-nobody", TestSupport.Engine, 5, "threads=16", 2, 0.01, DateTimeOffset.UtcNow, "test");
        Assert.Equal(StartResult.Unregistered, await Client.WorkerRuntime("wk-start-nobody").Start(d));
        Assert.Equal(WorkerCondition.Unregistered, (await Client.Worker("wk-start-nobody").GetStatus()).Condition);

        var worker = (await fixture.Pool("wk-start", "wk-start", ["x86"]))[0];
        Assert.Equal(StartResult.Unregistered, await Client.WorkerRuntime(worker).Start(d with { Worker = worker, Pool = "wk-start-elsewhere" }));
        Assert.Equal(WorkerCondition.Free, (await Client.Worker(worker).GetStatus()).Condition);
    }

    [Fact]
    public async Task A_report_for_any_attempt_but_the_running_one_is_ignored()
    {
        const string pool = "wk-stale";
        var worker = (await fixture.Pool(pool, pool, ["x86"]))[0];
        var job = $"{pool}-long";
        await Client.Job(job).Submit(new JobSpec(TestSupport.Engine, 5000, 1e5), pool); // ~3 s real
        var running = await Client.WaitForJob(job, s => s.State == JobState.Running, "to run");
        Assert.Equal(1, running.Attempts);

        await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, 2, true, null));
        await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, 0, false, "stale failure"));
        await Client.WorkerRuntime(worker).Report(new ExecutionReport($"{pool}-someone-else", 1, true, null));

        var w = await Client.Worker(worker).GetStatus();
        Assert.Equal(WorkerCondition.Busy, w.Condition);
        Assert.Equal((job, 1), (w.RunningJob, w.RunningAttempt));
        Assert.Equal(running, await Client.Job(job).GetStatus());
        var p = await Client.Coordinator(pool).GetStatus();
        Assert.Equal(1, p.Running);
        Assert.Empty(p.Queue); // not requeued by the stale failure

        // After the attempt is cancelled, even a report of that very attempt changes nothing.
        var cancelled = await Client.Job(job).Cancel();
        await Client.WorkerRuntime(worker).Report(new ExecutionReport(job, 1, true, null));
        Assert.Equal(cancelled, await Client.Job(job).GetStatus());

        // A completed job: a late failure report for its attempt neither fails it nor queues it again.
        var quick = $"{pool}-quick";
        await Client.Job(quick).Submit(new JobSpec(TestSupport.Engine, 5, 1e5), pool);
        var done = await Client.WaitFinished(quick);
        Assert.Equal(JobState.Completed, done.State);
        await Client.WorkerRuntime(worker).Report(new ExecutionReport(quick, 1, false, "late failure"));
        Assert.Equal(done, await Client.Job(quick).GetStatus());
        var after = await Client.WaitForPool(pool, s => s.Running == 0, "nothing running");
        Assert.Empty(after.Queue);
        Assert.Equal(WorkerCondition.Free, (await Client.Worker(worker).GetStatus()).Condition);
    }
}
