using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Telemetry;
using SynergAI.Scheduling.Forecast;

namespace SynergAI.Grains;

/// <summary>
/// One job's spec and lifecycle, and the truth about it: Submitted → Queued → Dispatched → Running → Completed |
/// Failed | Cancelled, with a failed attempt back to Queued until <c>SynergAI:MaxAttempts</c>. Submit and Cancel take
/// turns; the control plane's callbacks interleave with them and are fenced by attempt number and state, so they only
/// ever move the job forward. A queued job sits in one shard of its pool's queue; the shard holds nothing durable.
/// </summary>
[Orleans.Placement.PreferLocalPlacement] // where the submission arrives: a client's gateway silo, or the calling grain's silo
public sealed class JobGrain(
    [PersistentState("job", StorageNames.Grains)] IPersistentState<JobRecord> record,
    IJobHistory history,
    PoolSettingsCache pools,
    IOptions<SynergAiOptions> options,
    TimeProvider time,
    ILogger<JobGrain> log) : Grain, IJobGrain, IJobLifecycleGrain
{
    CoalescingWriter? _writer;
    CoalescingWriter Writer => _writer ??= new CoalescingWriter(async () =>
    {
        await record.WriteStateAsync();
        await history.RecordAsync(Status());
    });
    JobRecord Job => record.State;
    /// <summary>This activation's changes, oldest first, for watchers; and the latest one already pushed to them.</summary>
    readonly List<JobChange> _changes = [];
    int _pushed;
    ObserverManager<IJobObserver>? _watchers;
    ObserverManager<IJobObserver> Watchers => _watchers ??= new(TimeSpan.FromMinutes(1), log);

    /// <summary>Stores the job and then tells its watchers what changed: never a state that a crash could take back.</summary>
    async Task SaveAsync()
    {
        if (_changes.Count == 0 || _changes[^1].Status.State != Job.State || _changes[^1].Status.Attempts != Job.Attempts)
            _changes.Add(new JobChange(++Job.Changes, Status()));
        var stored = Job.Changes;
        await Writer.WriteAsync();
        if (_watchers is null) { _pushed = Math.Max(_pushed, stored); return; }
        // Interleaved transitions push in order: each write's completion pushes what was recorded before it began.
        foreach (var change in _changes.Where(c => c.Sequence <= stored).ToList())
        {
            if (change.Sequence <= _pushed) continue;
            _pushed = change.Sequence;
            await _watchers.Notify(w => w.OnChanged(change)); // one-way: completes at once
        }
    }

    public Task<IReadOnlyList<JobChange>> Watch(IJobObserver observer, int after)
    {
        var changes = ChangesAfter(after);
        Watchers.Subscribe(observer, observer);
        return Task.FromResult(changes);
    }

    public Task Unwatch(IJobObserver observer)
    {
        _watchers?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobChange>> Changes(int after) => Task.FromResult(ChangesAfter(after));

    /// <summary>Changes not yet pushed are stored by a write in flight; a watcher hears of them when it ends.</summary>
    IReadOnlyList<JobChange> ChangesAfter(int after) => Job.Spec is null
        ? throw new UnknownJobException(Id)
        : [.. _changes.Where(c => c.Sequence > after && c.Sequence <= _pushed)];
    string Id => this.GetPrimaryKeyString();
    bool Finished => Job.State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Watchers of this activation start from the stored state (see JobChange).
        if (Job.Spec is not null) _changes.Add(new JobChange(Job.Changes, Status()));
        _pushed = Job.Changes;
        return Task.CompletedTask;
    }

    public async Task<JobStatus> Submit(JobSpec spec, string pool)
    {
        if (Id.All(char.IsAsciiDigit)) throw new ArgumentException($"job id '{Id}' is all digits; use an id with a letter, e.g. 'job-{Id}'");
        if (Id.Length > JobSpec.MaxNameLength) throw new ArgumentException($"job id is {Id.Length} characters long; at most {JobSpec.MaxNameLength} are allowed");
        if (pool.Length > JobSpec.MaxNameLength) throw new ArgumentException($"pool name is {pool.Length} characters long; at most {JobSpec.MaxNameLength} are allowed");
        if (spec.Problem() is { } problem) throw new ArgumentException($"job '{Id}': {problem}");
        if (Job.Spec is not null)
        {
            if (Job.Spec == spec && Job.Pool == pool) return await SubmittedAgainAsync();
            throw new JobConflictException(Id, Job.Spec, Job.Pool);
        }

        var bestEffort = await AdmitAsync(spec, pool);

        var submittedAt = time.GetUtcNow();
        record.State = new JobRecord { Spec = spec, Pool = pool, State = JobState.Submitted, SubmittedAt = submittedAt, BestEffort = bestEffort };
        try
        {
            Job.TimeScale = (await HandToShardAsync(waitForAnswer: !pools.HasAccepted(pool, spec.Engine))).TimeScale;
        }
        catch
        {
            record.State = new JobRecord(); // rejected: nothing stored
            SynergAiMetrics.JobRejected(pool, spec.Engine);
            throw;
        }
        if (Job.State == JobState.Submitted) Job.State = JobState.Queued; // unless a callback already moved it on
        await SaveAsync();
        SynergAiMetrics.JobSubmitted(pool, spec.Engine);
        return Status();
    }

    /// <summary>Admission control before anything is stored (the submission's mode, else the pool's): under <c>reject</c>
    /// a job the pool's forecast says will miss its deadline, or make a job admitted earlier miss its own, is refused
    /// with the reason and the tightest deadline on offer; under <c>best-effort</c> it is admitted flagged (the result).</summary>
    async Task<bool> AdmitAsync(JobSpec spec, string pool)
    {
        var mode = Admission.Parse(spec.Admission ?? (await pools.GetAsync(pool)).Admission ?? Admission.Name(AdmissionMode.Accept));
        if (!Admission.NeedsForecast(mode)) return false;
        try
        {
            return await GrainFactory.GetGrain<IPoolDispatchGrain>(pool).Admit(Id, spec, Admission.Name(mode));
        }
        catch (AdmissionRefusedException)
        {
            SynergAiMetrics.JobRejected(pool, spec.Engine);
            throw;
        }
    }

    /// <summary>A retried submission (the first one's answer was lost, maybe with a silo): what the first may not have
    /// finished is done again before the job is acknowledged again — its shard holds it, its record and its history row
    /// (through which a rebuilt shard finds it) are written. Each step is idempotent.</summary>
    async Task<JobStatus> SubmittedAgainAsync()
    {
        if (Finished) return Status();
        if (Job.State is JobState.Submitted or JobState.Queued)
        {
            await HandToShardAsync(waitForAnswer: false); // its shard took it once
            if (Job.State == JobState.Submitted) Job.State = JobState.Queued;
        }
        await SaveAsync();
        return Status();
    }

    /// <summary>How long a submission waits for its shard once the pool is known to run the job's engine.</summary>
    static readonly TimeSpan ShardPatience = TimeSpan.FromSeconds(1);

    /// <summary>Hands the job to its shard. Unless <paramref name="waitForAnswer"/> (the shard must first say whether the
    /// pool runs the engine), a shard that does not answer within <see cref="ShardPatience"/> — its silo died and is
    /// not yet declared dead, which takes seconds — does not hold the submission up: the job is stored as Queued, and
    /// the call still in flight, the shard rebuilt from the records on a survivor, or its sweep puts it in the queue.</summary>
    async Task<PoolSettings> HandToShardAsync(bool waitForAnswer)
    {
        var handed = (await pools.ShardOfAsync(Job.Pool, Id)).Enqueue(Id, Job.Spec!, Job.SubmittedAt, Job.Attempts, Job.BestEffort);
        if (waitForAnswer)
        {
            var settings = await handed;
            pools.Accepted(Job.Pool, Job.Spec!.Engine);
            return settings;
        }
        try
        {
            return await handed.WaitAsync(ShardPatience);
        }
        catch (Exception e) when (!GrainCalls.IsAnswer(e))
        {
            _ = handed.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            SynergAiMetrics.JobUnconfirmed(Job.Pool);
            log.LogDebug("job {Job}: its shard did not answer ({Error}); stored as queued for the shard to find", Id, e.Message);
            return await pools.GetAsync(Job.Pool);
        }
    }

    public Task<JobStatus?> GetStatus() => Task.FromResult(Job.Spec is null ? null : Status());

    public async Task<JobStatus> Cancel()
    {
        if (Job.Spec is null) throw new UnknownJobException(Id);
        if (Finished) return Status();
        var was = Job.State;
        Job.State = JobState.Cancelled;
        Job.CompletedAt = time.GetUtcNow();
        Job.Reason = "cancelled by a client";
        await SaveAsync();
        SynergAiMetrics.JobFinished(Status());

        // A job being dispatched right now is declined by OnDispatched; one already on a worker is stopped there.
        var removed = was is JobState.Submitted or JobState.Queued && await (await pools.ShardOfAsync(Job.Pool, Id)).Remove(Id);
        if (!removed && Job.Worker is { } worker && was is JobState.Dispatched or JobState.Running)
            await GrainFactory.GetGrain<IWorkerRuntimeGrain>(worker).Cancel(Id, Job.Attempts);
        return Status();
    }

    /// <summary>Takes a dispatch only while the job waits: a job whose attempt is dispatched or running declines any
    /// other, even a newer one (a stale copy of it queued again — a retried enqueue that arrived after its dispatch —
    /// must not start a second run). Its attempt ends first, through its worker or the sweep.</summary>
    public async Task<bool> OnDispatched(Dispatch dispatch)
    {
        if (Job.Spec is null || Job.State is not (JobState.Submitted or JobState.Queued) || dispatch.Attempt <= Job.Attempts) return false;
        Job.State = JobState.Dispatched;
        Job.Attempts = dispatch.Attempt;
        Job.Worker = dispatch.Worker;
        Job.Config = dispatch.Config;
        Job.DispatchedAt = dispatch.DecidedAt;
        Job.StartedAt = null;
        Job.Reason = dispatch.Reason;
        await SaveAsync();
        return true;
    }

    public async Task OnRunning(int attempt, DateTimeOffset at)
    {
        if (!IsCurrent(attempt) || Job.State != JobState.Dispatched) return;
        Job.State = JobState.Running;
        Job.StartedAt = at;
        SynergAiMetrics.AttemptStarted(Job.Pool, at - Job.SubmittedAt);
        await SaveAsync();
    }

    public async Task OnAttemptEnded(int attempt, bool succeeded, DateTimeOffset at, string? error)
    {
        if (!IsCurrent(attempt) || Job.State is not (JobState.Dispatched or JobState.Running)) return;
        if (succeeded)
        {
            Job.State = JobState.Completed;
            Job.CompletedAt = at;
            SynergAiMetrics.JobFinished(Status());
            await SaveAsync();
            return;
        }
        Job.Failures++;
        error ??= "the executor reported a failure";
        if (Job.Failures >= options.Value.MaxAttempts)
        {
            await FailAsync(at, $"failed {Job.Failures} attempt(s), the maximum; last: {error}");
            return;
        }
        Job.State = JobState.Queued;
        Job.Reason = $"attempt {attempt} failed ({error}); queued again";
        SynergAiMetrics.AttemptRequeued(Job.Pool, Job.Spec!.Engine);
        await SaveAsync();
        try
        {
            await GrainCalls.UntilDeliveredAsync(async () =>
                await (await pools.ShardOfAsync(Job.Pool, Id)).Enqueue(Id, Job.Spec!, Job.SubmittedAt, Job.Attempts, Job.BestEffort));
        }
        catch (Exception e) when (e is ArgumentException or SynergAiException)
        {
            await FailAsync(time.GetUtcNow(), $"attempt {attempt} failed ({error}) and it cannot be queued again: {e.Message}");
        }
        // Any other failure leaves it Queued in its record: the shard's anti-entropy sweep takes it back.
    }

    async Task FailAsync(DateTimeOffset at, string reason)
    {
        Job.State = JobState.Failed;
        Job.CompletedAt = at;
        Job.Reason = reason;
        SynergAiMetrics.JobFinished(Status());
        await SaveAsync();
        log.LogInformation("job {Job} failed: {Reason}", Id, reason);
    }

    bool IsCurrent(int attempt) => Job.Spec is not null && !Finished && attempt == Job.Attempts;

    JobStatus Status()
    {
        double? e2e = Job.State == JobState.Completed && Job.CompletedAt is { } done ? (done - Job.SubmittedAt).TotalSeconds / Job.TimeScale : null;
        var qos = Job.Spec!.QosSeconds;
        return new JobStatus(Id, Job.Pool, Job.Spec, Job.State, Job.Attempts, Job.Worker, Job.Config, Job.SubmittedAt,
            Job.DispatchedAt, Job.StartedAt, Job.CompletedAt,
            Violated: Job.State == JobState.Failed ? true : e2e is { } t ? t > qos : null,
            ExcessSeconds: e2e is { } s ? Math.Max(0, s - qos) : null,
            Job.Reason, Job.TimeScale, Job.BestEffort);
    }
}
