using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Execution;
using SynergAI.Grains.Telemetry;
using SynergAI.Scheduling;
using SynergAI.Scheduling.Forecast;

namespace SynergAI.Grains;

[GenerateSerializer, Alias("synergai.WorkerNodeRecord")]
public sealed class WorkerNodeRecord
{
    [Id(0)] public WorkerSpec? Spec { get; set; }
    [Id(1)] public string? Pool { get; set; }
    [Id(2)] public List<ProfilePoint> Profile { get; set; } = [];
    [Id(3)] public Dispatch? Running { get; set; }
    [Id(4)] public DateTimeOffset? LastFreeAt { get; set; }
    /// <summary>The measured runs the learning rule still looks at (see <see cref="WorkerLearning"/>); empty in a
    /// record stored before learning existed.</summary>
    [Id(5)] public List<MeasuredRun> MeasuredRuns { get; set; } = [];
    /// <summary>The corrections this worker's estimates use (see <see cref="WorkerLearning"/>).</summary>
    [Id(6)] public List<ProfileCorrection> Corrections { get; set; } = [];
    /// <summary>The silo whose executor started <see cref="Running"/> (its parsable address); null when nothing runs, or
    /// in a record stored before this was kept.</summary>
    [Id(7)] public string? RunSilo { get; set; }
}

/// <summary>
/// A worker node: its spec, its own configuration dictionary (c* per engine, from its profile), and the one attempt it
/// runs. Reservation is atomic because the grain takes one Start at a time and refuses when busy. A running attempt
/// whose executor stops heartbeating is declared lost and its job goes back to the queue. Every successful run's
/// measured time teaches it a correction of its profile (<see cref="WorkerLearning"/>), which its estimates use from
/// then on; a worker whose times leave the profile's band is flagged as drifted.
/// </summary>
[Orleans.Placement.ActivationCountBasedPlacement] // spread over the silos: each worker answers its own estimates and runs its own attempts
[Orleans.GrainDirectory.GrainDirectory(Hosting.PoolGrainDirectory)]
public sealed class WorkerNodeGrain(
    [PersistentState("worker-node", StorageNames.Grains)] IPersistentState<WorkerNodeRecord> record,
    IJobExecutor executor,
    IClusterMembershipService membership,
    GrainReferences grains,
    ILocalSiloDetails silo,
    IOptions<SynergAiOptions> options,
    TimeProvider time,
    ILogger<WorkerNodeGrain> log) : Grain, IWorkerNodeGrain, IWorkerRuntimeGrain
{
    ConfigurationDictionary? _dictionary;
    DateTimeOffset? _lastHeartbeat;
    IGrainTimer? _heartbeatCheck;
    WorkerLearning? _learning;

    WorkerNodeRecord Node => record.State;
    string Name => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Node.Spec is not null) _dictionary = Dictionary(Node.Spec, Node.Profile);
        _learning = new WorkerLearning(Name, Node.MeasuredRuns, Node.Corrections);
        _flagged = _learning.DriftFactor is not null; // restored flagged: not logged again
        if (Node.Pool is not null) SynergAiMetrics.WorkerDrift(Name, Node.Pool, Learning.DriftFactor);
        if (Node.Running is not { } running) return;

        // Restored with a running attempt: this grain was elsewhere before. If this silo's executor runs the attempt
        // (or re-attaches to it), it keeps heartbeating. If not, the run may live on in the silo that started it, its
        // heartbeats held up for a while (a silo's death stalls calls): see LostAttempt for how long the worker waits.
        _resuming = !await executor.ResumeAsync(running, cancellationToken);
        WatchHeartbeats();
    }

    /// <summary>True while a restored attempt that this silo's executor does not run waits for a heartbeat.</summary>
    bool _resuming;

    WorkerLearning Learning => _learning ??= new WorkerLearning(Name, Node.MeasuredRuns, Node.Corrections);

    public async Task<WorkerStatus> Register(WorkerSpec spec, ProfilePoint[] profile, string pool)
    {
        if (spec.Name != Name) throw new ArgumentException($"worker spec is named '{spec.Name}' but was sent to worker '{Name}'");
        if (ProfileProblem(spec, profile) is { } problem) throw new ArgumentException($"worker '{Name}': {problem}");
        if (string.IsNullOrWhiteSpace(pool)) throw new ArgumentException("pool must not be empty");
        if (Node.Pool is { } current && current != pool && Node.Running is not null)
            throw new ArgumentException($"worker '{Name}' is running a job in pool '{current}'; move it when it is free");

        var dictionary = Dictionary(spec, profile);
        var previousPool = Node.Pool;
        if (Node.Spec is not null && ProfileKey(Node.Spec, Node.Profile) != ProfileKey(spec, profile))
        {
            // What was learned was measured against the old profile.
            if (Node.MeasuredRuns.Count > 0) log.LogInformation("worker {Worker} registered a new profile; it forgets the corrections it had learned", Name);
            Learning.Reset();
            _flagged = false;
        }
        Node.Spec = spec;
        Node.Pool = pool;
        Node.Profile = [.. profile];
        Node.LastFreeAt ??= time.GetUtcNow();
        SynergAiMetrics.WorkerIs(Name, pool, busy: Node.Running is not null);
        SynergAiMetrics.WorkerDrift(Name, pool, Learning.DriftFactor);
        await record.WriteStateAsync();
        _dictionary = dictionary;
        await grains.Of<IPoolDispatchGrain>(pool).WorkerRegistered(Name, [.. dictionary.Engines], dictionary.DefaultStrength(0), ClassKey());
        if (previousPool is not null && previousPool != pool) await grains.Of<IPoolDispatchGrain>(previousPool).WorkerLeft(Name);
        return Status();
    }

    public Task<WorkerStatus> GetStatus() => Task.FromResult(Status());

    public Task<WorkerEstimates> Estimate(EstimateRequest request) =>
        Task.FromResult(EstimateAnswers.Of(Name, Node.Spec is null ? null : _dictionary, 0, request, Learning.Factor));

    public async Task<StartResult> Start(Dispatch dispatch)
    {
        if (Node.Spec is null || Node.Pool != dispatch.Pool) return StartResult.Unregistered;
        if (Node.Running is { } running)
            return running.Job == dispatch.Job && running.Attempt == dispatch.Attempt ? StartResult.Started : StartResult.Busy;

        dispatch = dispatch with { ProfileSeconds = ProfileSeconds(dispatch.Engine, dispatch.Config, dispatch.Queries) };
        Node.Running = dispatch;
        Node.RunSilo = silo.SiloAddress.ToParsableString();
        SynergAiMetrics.WorkerIs(Name, Node.Pool, busy: true);
        await record.WriteStateAsync();
        var job = GrainFactory.GetGrain<IJobLifecycleGrain>(dispatch.Job);
        try
        {
            if (!await job.OnDispatched(dispatch))
            {
                await BecomeFree();
                return StartResult.JobDeclined;
            }
        }
        catch
        {
            await BecomeFree(); // the coordinator reconciles with GetStatus and queues the job again
            throw;
        }
        try
        {
            await executor.StartAsync(dispatch, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "executor could not start attempt {Attempt} of {Job} on {Worker}", dispatch.Attempt, dispatch.Job, Name);
            // The job learns why, and queues itself again or fails; the pool frees this worker on ExecutorFailed.
            await job.OnAttemptEnded(dispatch.Attempt, false, time.GetUtcNow(), $"the executor could not start it on '{Name}': {e.Message}");
            await BecomeFree();
            return StartResult.ExecutorFailed;
        }
        _lastHeartbeat = time.GetUtcNow();
        WatchHeartbeats();
        await job.OnRunning(dispatch.Attempt, _lastHeartbeat.Value);
        return StartResult.Started;
    }

    public Task<bool> Heartbeat(string job, int attempt)
    {
        if (Node.Running is not { } running || running.Job != job || running.Attempt != attempt) return Task.FromResult(false);
        _lastHeartbeat = time.GetUtcNow();
        _resuming = false;
        return Task.FromResult(true);
    }

    public async Task Report(ExecutionReport report)
    {
        if (Node.Running is not { } running || running.Job != report.Job || running.Attempt != report.Attempt)
        {
            log.LogInformation("ignored a report for {Job} attempt {Attempt} on {Worker}: not the running attempt", report.Job, report.Attempt, Name);
            return;
        }
        var republish = report.Succeeded && Learn(running, report.MeasuredSeconds);
        await EndAttempt(running, report.Succeeded, report.Error, republish);
    }

    /// <summary>Learns from the measured time of a successful run (stored with the worker when it frees); true when the
    /// corrections its estimates use changed, so the pool must ask it again.</summary>
    bool Learn(Dispatch run, double? measuredSeconds)
    {
        if (measuredSeconds is not { } measured) return false; // the executor does not measure its runs
        var profileSeconds = run.ProfileSeconds ?? ProfileSeconds(run.Engine, run.Config, run.Queries);
        if (profileSeconds is not { } expected || !Learning.Record(run.Engine, run.Config, expected, measured))
        {
            log.LogWarning("worker {Worker} ignored the measured time {Measured} s of {Job} attempt {Attempt} ({Engine}, {Config}; profile {Profile} s): not a time it can learn from",
                Name, measured, run.Job, run.Attempt, run.Engine, run.Config, profileSeconds);
            return false;
        }
        var wasFlagged = _flagged;
        var drift = Learning.DriftFactor;
        _flagged = drift is not null;
        if (drift is { } factor && !wasFlagged)
            log.LogWarning("worker {Worker} flagged as drifted: its latest {Runs} runs took {Factor:0.###}× their profiled time (median; band ±{Band:0%})",
                Name, Math.Min(Learning.StoredRuns, ProfileCorrections.Window), factor, ProfileCorrections.Band);
        else if (drift is null && wasFlagged)
            log.LogInformation("worker {Worker} is no longer drifted: its latest runs are back within ±{Band:0%} of its profile", Name, ProfileCorrections.Band);
        if (Node.Pool is not null) SynergAiMetrics.WorkerDrift(Name, Node.Pool, drift);
        return Node.Profile.Count > 0 && Learning.Republish(Node.Profile.Select(p => (p.Engine, p.Config)));
    }

    /// <summary>Whether the drift flag was up after the last run learned from, so a change is logged once.</summary>
    bool _flagged;

    /// <summary>The profile's own <c>T_pre + q/QPS</c> of (engine, configuration) on this worker; null if the profile
    /// has no such row.</summary>
    double? ProfileSeconds(string engine, string config, int queries) =>
        Node.Profile.FirstOrDefault(p => p.Engine == engine && p.Config == config) is { } p
            ? new ProfileEntry(Name, p.Engine, p.Config, p.Qps, p.PreprocessSeconds).EstimateSeconds(queries)
            : null;

    /// <summary>The class key the pool groups workers by: the profile, and the corrections this worker's estimates use.</summary>
    string ClassKey()
    {
        var key = ProfileKey(Node.Spec!, Node.Profile);
        var learned = Learning.Fingerprint();
        return learned.Length == 0 ? key : Hash(key + "\u001d" + learned);
    }

    public async Task Cancel(string job, int attempt)
    {
        if (Node.Running is not { } running || running.Job != job || running.Attempt != attempt) return;
        await executor.CancelAsync(job, attempt);
        await BecomeFree();
        await grains.Of<IPoolDispatchGrain>(running.Pool).WorkerFreed(Name, job, attempt);
    }

    /// <summary>The attempt ended: the job hears first (a success completes it; a failure queues it again or fails it),
    /// then the worker is free again. Were the job's grain on a silo that just died, letting go before it heard would run
    /// a succeeded job again; the calls are fenced by attempt, so repeating them is harmless.</summary>
    /// <param name="republish">The worker's corrections changed: it tells the pool (as a re-registration with its new
    /// class key, so every shard asks it for estimates again) before it says it is free, so the next round uses them.</param>
    async Task EndAttempt(Dispatch running, bool succeeded, string? error, bool republish = false)
    {
        var endedAt = time.GetUtcNow();
        if (succeeded) SynergAiMetrics.AttemptSucceeded(Name, running, endedAt);
        await GrainCalls.UntilDeliveredAsync(async () =>
            await GrainFactory.GetGrain<IJobLifecycleGrain>(running.Job).OnAttemptEnded(running.Attempt, succeeded, endedAt, error));
        await BecomeFree();
        if (republish && Node.Spec is not null && _dictionary is not null && Node.Pool == running.Pool)
        {
            log.LogInformation("worker {Worker} corrects its estimates: {Corrections}", Name,
                Node.Corrections.Count == 0 ? "none (back to its profile)" : string.Join(", ", Node.Corrections.GroupBy(c => c.Factor).OrderBy(g => g.Key)
                    .Select(g => FormattableString.Invariant($"×{g.Key:0.##} on {g.Count()} of {Node.Profile.Count} (engine, configuration)"))));
            try
            {
                await grains.Of<IPoolDispatchGrain>(running.Pool).WorkerRegistered(Name, [.. _dictionary.Engines], _dictionary.DefaultStrength(0), ClassKey());
            }
            catch (Exception e)
            {
                // Its estimates already use the corrections; the pool's cached ones catch up at its next registration.
                log.LogWarning(e, "worker {Worker} could not tell pool {Pool} its corrected estimates", Name, running.Pool);
            }
        }
        await GrainCalls.UntilDeliveredAsync(async () =>
            await grains.Of<IPoolDispatchGrain>(running.Pool).WorkerFreed(Name, running.Job, running.Attempt));
    }

    async Task BecomeFree()
    {
        SynergAiMetrics.WorkerFreed(Name, Node.Pool, Node.Running, time.GetUtcNow());
        Node.Running = null;
        Node.RunSilo = null;
        Node.LastFreeAt = time.GetUtcNow();
        _lastHeartbeat = null;
        _resuming = false;
        _heartbeatCheck?.Dispose();
        _heartbeatCheck = null;
        await record.WriteStateAsync();
    }

    void WatchHeartbeats()
    {
        _lastHeartbeat ??= time.GetUtcNow();
        var period = GrainCalls.Shorter(options.Value.HeartbeatTimeout / 4, options.Value.HeartbeatInterval);
        _heartbeatCheck ??= this.RegisterGrainTimer(CheckHeartbeat, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
    }

    async Task CheckHeartbeat(CancellationToken cancellationToken)
    {
        if (Node.Running is not { } running || _lastHeartbeat is not { } last) return;
        var silent = time.GetUtcNow() - last;
        var (patience, withItsSilo) = LostAttempt.Patience(_resuming, Node.RunSilo, silo.SiloAddress.ToParsableString(),
            s => membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(s)) is SiloStatus.Dead or SiloStatus.None, options.Value);
        if (silent < patience) return;
        var why = withItsSilo ? "lost with its silo" : $"lost: no heartbeat for {silent.TotalSeconds:0.#} s";
        log.LogWarning("attempt {Attempt} of {Job} on {Worker} {Why}; requeueing it", running.Attempt, running.Job, Name, why);
        await executor.CancelAsync(running.Job, running.Attempt); // make sure a late executor cannot run it twice
        await EndAttempt(running, succeeded: false, $"worker '{Name}' {why}");
    }

    WorkerStatus Status() => new(Name, Node.Pool, Node.Spec,
        Node.Spec is null ? WorkerCondition.Unregistered : Node.Running is null ? WorkerCondition.Free : WorkerCondition.Busy,
        Node.Running?.Job, Node.Running?.Attempt ?? 0, Node.Running?.Config, Node.LastFreeAt, _lastHeartbeat,
        _dictionary is null ? [] : [.. _dictionary.Engines.Select(e => _dictionary.Optimal(e, Name)!)
            .Select(p => new ProfilePoint(p.Engine, p.Config, p.Qps, p.PreprocessSeconds))],
        Learning.DriftFactor);

    /// <summary>Equal for workers whose estimates are equal (same default configuration and profile rows, in any
    /// order), so a pool asks one worker of each such class.</summary>
    static string ProfileKey(WorkerSpec spec, IEnumerable<ProfilePoint> profile)
    {
        var rows = profile.Select(p => FormattableString.Invariant($"{p.Engine}\u001f{p.Config}\u001f{p.Qps:R}\u001f{p.PreprocessSeconds:R}"))
            .Order(StringComparer.Ordinal);
        return Hash(spec.DefaultConfig + "\u001e" + string.Join("\u001e", rows));
    }

    static string Hash(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..32];

    static ConfigurationDictionary Dictionary(WorkerSpec spec, IEnumerable<ProfilePoint> profile) =>
        new(new Testbed([new Worker(spec.Name, spec.Arch, spec.Cpus, spec.MemoryGb, spec.DefaultConfig)],
            [.. profile.Select(p => new ProfileEntry(spec.Name, p.Engine, p.Config, p.Qps, p.PreprocessSeconds))]));

    /// <summary>The same rules as profile.csv (see TestbedFiles), for callers that send a profile directly.</summary>
    static string? ProfileProblem(WorkerSpec spec, ProfilePoint[] profile)
    {
        if (string.IsNullOrWhiteSpace(spec.DefaultConfig)) return "default_config must not be empty";
        if (spec.Cpus <= 0 || !double.IsFinite(spec.MemoryGb) || spec.MemoryGb <= 0) return "cpus and memory_gb must be positive";
        if (profile.Length == 0) return "the profile is empty";
        var seen = new HashSet<(string, string)>();
        foreach (var p in profile)
        {
            var where = $"profile row ({p.Engine}, {p.Config})";
            if (string.IsNullOrWhiteSpace(p.Engine) || string.IsNullOrWhiteSpace(p.Config)) return $"{where}: engine and config must not be empty";
            if (!double.IsFinite(p.Qps) || p.Qps <= 0) return $"{where}: qps must be a positive finite number, got {p.Qps}";
            if (!double.IsFinite(p.PreprocessSeconds) || p.PreprocessSeconds < 0) return $"{where}: preprocess_s must be a finite number ≥ 0, got {p.PreprocessSeconds}";
            if (!seen.Add((p.Engine, p.Config))) return $"{where}: duplicate row";
        }
        foreach (var engine in profile.Select(p => p.Engine).Distinct())
            if (!seen.Contains((engine, spec.DefaultConfig)))
                return $"engine '{engine}' has no row for the default_config '{spec.DefaultConfig}'";
        return null;
    }
}
