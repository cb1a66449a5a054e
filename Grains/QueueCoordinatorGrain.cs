using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SynergAI.Grains.Coordination;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains;

/// <summary>
/// A pool's queue and dispatch loop, a thin shell around <see cref="PoolQueue"/> and the scheduling core's policy.
/// It re-evaluates on every arrival, completion and grain-timer tick. Reentrant so that no call cycle through it can
/// deadlock; its turns only change memory: rounds run one at a time (a request during a round runs one more), and the
/// only awaits are the workers' estimates and starts, never a job's execution.
/// </summary>
[Reentrant]
public sealed class QueueCoordinatorGrain(
    [PersistentState("queue-coordinator", StorageNames.Grains)] IPersistentState<CoordinatorRecord> record,
    IOptions<SynergAiOptions> options,
    IJobHistory history,
    TimeProvider time,
    ILogger<QueueCoordinatorGrain> log) : Grain, IQueueCoordinatorGrain
{
    PoolQueue _pool = null!;
    PoolSettings _settings = null!;
    DateTimeOffset _epoch;
    CoalescingWriter _writer = null!;
    IGrainTimer? _timer;
    readonly Queue<string> _recent = new();
    bool _roundRunning;
    bool _roundAgain;
    bool _tickRound;
    bool _saveScheduled;

    string Pool => this.GetPrimaryKeyString();
    double Now => ToModelSeconds(time.GetUtcNow());
    double ToModelSeconds(DateTimeOffset at) => (at - _epoch).TotalSeconds / _settings.TimeScale;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var saved = record.State;
        var o = options.Value;
        _settings = saved.Settings ?? new PoolSettings(o.Policy, o.TimeScale, o.ReevaluationInterval);
        _epoch = saved.Settings is null ? time.GetUtcNow() : saved.Epoch;
        _pool = new PoolQueue(PolicyCatalog.Create(_settings.Policy));
        foreach (var worker in saved.Workers) _pool.SetWorker(worker.Name, worker.Engines, worker.Strength);
        foreach (var entry in saved.Queue) _pool.Enqueue(entry.ToEntry());
        foreach (var running in saved.Running) _pool.RestoreRunning(running.Entry.ToEntry(), running.Worker, running.Attempt, Now);
        foreach (var job in saved.Recent) _recent.Enqueue(job);
        _writer = new CoalescingWriter(() =>
        {
            record.State = Snapshot();
            return record.WriteStateAsync();
        });
        _timer = this.RegisterGrainTimer(_ => Tick(), new GrainTimerCreationOptions(_settings.ReevaluationInterval, _settings.ReevaluationInterval) { Interleave = true });
        RequestRound(); // a restored queue carries on
        log.LogInformation("pool {Pool} activated: {Queued} queued and {Running} running job(s) restored", Pool, saved.Queue.Count, saved.Running.Count);
        _ = AnnounceAsync();
        _ = Recover(); // the attempts it believes run may have died with a silo, and arrivals after its last save be missing
        return Task.CompletedTask;

        async Task AnnounceAsync()
        {
            try { await GrainFactory.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).Add(Pool); }
            catch (Exception e) { log.LogWarning(e, "pool {Pool} could not enter the pool directory; recovery after a silo failure may miss it", Pool); }
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_saveScheduled) await _writer.WriteAsync(); // a change not yet saved
    }

    public Task<PoolSettings> Enqueue(string job, JobSpec spec, DateTimeOffset submittedAt)
    {
        if (spec.Problem() is { } problem) throw new ArgumentException($"job '{job}': {problem}");
        if (_pool.Contains(job)) return Task.FromResult(_settings);
        if (!_pool.CanRun(spec.Engine))
        {
            var engines = _pool.Engines.ToList();
            throw new ArgumentException(engines.Count == 0
                ? $"pool '{Pool}' has no workers yet, so nothing can run engine '{spec.Engine}'"
                : $"no worker in pool '{Pool}' can run engine '{spec.Engine}'; known engines: {string.Join(", ", engines)}");
        }
        _pool.Enqueue(new PoolQueue.Entry(job, spec, submittedAt, attempts: 0));
        Remember(job);
        RequestRound();
        SaveSoon(); // an arrival lost with this silo before the save is taken back from the job history
        return Task.FromResult(_settings);
    }

    public async Task<bool> Remove(string job)
    {
        if (!_pool.Remove(job)) return false;
        await _writer.WriteAsync();
        return true;
    }

    public async Task Requeue(string job, int failedAttempt, string reason)
    {
        if (_pool.RunningOf(job) is not { } running || running.Attempt != failedAttempt) return; // stale
        var jobGrain = GrainFactory.GetGrain<IJobGrain>(job);
        if (running.Entry.Failures + 1 >= options.Value.MaxAttempts)
        {
            _pool.Forget(job, failedAttempt);
            await _writer.WriteAsync();
            await jobGrain.OnFinished(failedAttempt, false, time.GetUtcNow(),
                $"failed {running.Entry.Failures + 1} attempt(s), the maximum; last: {reason}");
            return;
        }
        _pool.Retry(job, failedAttempt);
        RequestRound();
        await _writer.WriteAsync();
        await jobGrain.OnRequeued(failedAttempt, reason);
    }

    public Task WorkerFreed(string worker, string job, int attempt)
    {
        _pool.Forget(job, attempt);
        _pool.MarkFree(worker, job, Now);
        RequestRound();
        SaveSoon();
        return Task.CompletedTask;
    }

    public async Task WorkerRegistered(string worker, string[] engines, double strength)
    {
        _pool.SetWorker(worker, engines, strength);
        _pool.MarkFree(worker, PoolQueue.NotAMember, Now);
        RequestRound();
        await _writer.WriteAsync();
    }

    public async Task WorkerLeft(string worker)
    {
        _pool.Leave(worker, Now);
        RequestRound();
        await _writer.WriteAsync();
    }

    public Task<PoolStatus> GetStatus() => Task.FromResult(new PoolStatus(Pool, _settings, _pool.Members, [.. _pool.Engines],
        [.. _pool.Queue.Select(e => new QueuedJobView(e.Id, e.Spec.Engine, e.Attempts, e.Scheduled?.Urgency ?? double.NaN,
            e.Scheduled?.AcceptableWorkers ?? 0, e.Scheduled?.WaitReason ?? (e.Unrunnable ? "no worker can run the engine" : "being estimated")))],
        _pool.Running.Count));

    public Task<IReadOnlyList<string>> ListJobs() => Task.FromResult<IReadOnlyList<string>>(
        [.. _pool.Queue.Select(e => e.Id).Concat(_pool.Running.Select(r => r.Entry.Id)).Concat(_recent).Distinct()]);

    public async Task<PoolSettings> Configure(PoolSettings settings)
    {
        if (!PolicyCatalog.Names.Contains(settings.Policy))
            throw new ArgumentException($"unknown policy '{settings.Policy}'; known: {string.Join(", ", PolicyCatalog.Names)}");
        if (!double.IsFinite(settings.TimeScale) || settings.TimeScale <= 0) throw new ArgumentException($"time scale must be a positive number, got {settings.TimeScale}");
        if (settings.ReevaluationInterval <= TimeSpan.Zero) throw new ArgumentException($"re-evaluation interval must be positive, got {settings.ReevaluationInterval}");
        if (!_pool.IsIdle)
            throw new InvalidOperationException($"pool '{Pool}' has {_pool.Queue.Count} queued and {_pool.Running.Count} running jobs; change its settings when it is idle");
        _epoch = time.GetUtcNow();
        _settings = settings;
        _pool.Policy = PolicyCatalog.Create(settings.Policy);
        _pool.ResetHistory();
        _timer?.Change(settings.ReevaluationInterval, settings.ReevaluationInterval);
        await _writer.WriteAsync();
        return _settings;
    }

    public async Task<ReevaluationTiming> Reevaluate()
    {
        _pool.InvalidateEstimates();
        var clock = Stopwatch.StartNew();
        await EnsureEstimatesAsync();
        var estimating = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var placements = _pool.Plan(Now);
        var deciding = clock.Elapsed.TotalMilliseconds;
        await StartAllAsync(placements);
        return new ReevaluationTiming(_pool.Queue.Count + placements.Count, _pool.Workers.Count, estimating, deciding);
    }

    public async Task<int> Recover()
    {
        // Two recoveries at once (every surviving silo asks) are harmless: each step re-checks the attempt is current.
        await AdoptWaitingJobsAsync();
        var requeued = 0;
        foreach (var running in _pool.Running.ToList())
            if (await RecoverAsync(running)) requeued++;
        if (requeued > 0) log.LogWarning("pool {Pool}: {Requeued} attempt(s) lost with a silo went back to the queue", Pool, requeued);
        return requeued;
    }

    /// <summary>Jobs the history records as waiting in this pool but its queue lacks: arrivals acknowledged after the
    /// last save of a coordinator that died. They join the queue's end in submission order. A job that had in fact
    /// moved on is declined by its own grain when dispatched (its attempt number is stale), so adopting too much is
    /// harmless.</summary>
    async Task AdoptWaitingJobsAsync()
    {
        try
        {
            var adopted = 0;
            foreach (var row in await history.WaitingAsync(Pool))
            {
                if (_pool.Contains(row.Job) || !_pool.CanRun(row.Engine)) continue;
                _pool.Enqueue(new PoolQueue.Entry(row.Job, new JobSpec(row.Engine, row.Queries, row.QosSeconds), row.SubmittedAt, row.Attempts));
                Remember(row.Job);
                adopted++;
            }
            if (adopted == 0) return;
            log.LogWarning("pool {Pool}: {Adopted} waiting job(s) missing from the saved queue taken back from the job history", Pool, adopted);
            RequestRound();
            await _writer.WriteAsync();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "pool {Pool}: could not read the job history; the next recovery tries again", Pool);
        }
    }

    /// <summary>One attempt the pool believes runs: the worker's own record says whether it does. Activating the
    /// worker's grain also lets it resume or give up the attempt itself; this is the backstop for when its word to
    /// the pool was lost.</summary>
    async Task<bool> RecoverAsync(PoolQueue.RunningAttempt believed)
    {
        var (job, attempt) = (believed.Entry.Id, believed.Attempt);
        bool Current() => _pool.RunningOf(job) is { } now && now.Attempt == attempt;
        try
        {
            var worker = await GrainFactory.GetGrain<IWorkerNodeGrain>(believed.Worker).GetStatus();
            if (!Current() || (worker.RunningJob == job && worker.RunningAttempt == attempt)) return false;
            var status = await GrainFactory.GetGrain<IJobGrain>(job).GetStatus();
            if (!Current()) return false;
            _pool.MarkFree(believed.Worker, job, Now);
            if (status is null || status.State is JobState.Completed or JobState.Failed or JobState.Cancelled)
            {
                _pool.Forget(job, attempt); // it ended; only the pool's books were behind
                SaveSoon();
                RequestRound();
                return false;
            }
            if (status.Attempts < attempt)
            {
                _pool.ReturnToQueue(believed); // decided but never started: no failure counted
                RequestRound();
                await _writer.WriteAsync();
                return true;
            }
            await Requeue(job, attempt, $"lost on worker '{believed.Worker}' with its silo");
            return true;
        }
        catch (Exception e)
        {
            log.LogWarning(e, "pool {Pool}: could not check {Job} attempt {Attempt} on {Worker}; the next recovery tries again", Pool, job, attempt, believed.Worker);
            return false;
        }
    }

    /// <summary>The periodic re-evaluation. A pool with work stays active (its queue must keep moving with time);
    /// an idle one may be deactivated like any grain, and its state comes back with the next call.</summary>
    Task Tick()
    {
        if (_pool.IsIdle) return Task.CompletedTask;
        DelayDeactivation(TimeSpan.FromMinutes(30));
        _tickRound = true;
        RequestRound();
        return Task.CompletedTask;
    }

    /// <summary>Saves the pool's state within <see cref="SaveDelay"/>: the frequent changes (arrivals, completions)
    /// are batched, because a save writes the whole queue. What a crash loses meanwhile comes back on recovery: arrivals
    /// from the job history, completions from the workers' and jobs' own records.</summary>
    void SaveSoon()
    {
        if (_saveScheduled) return;
        _saveScheduled = true;
        _ = SaveLaterAsync();

        async Task SaveLaterAsync()
        {
            try
            {
                await Task.Delay(SaveDelay, time);
                _saveScheduled = false;
                await _writer.WriteAsync();
            }
            catch (Exception e)
            {
                _saveScheduled = false;
                log.LogWarning(e, "saving pool {Pool} failed; the next change saves it again", Pool);
            }
        }
    }

    static readonly TimeSpan SaveDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Asks for a scheduling round; at most one runs at a time, and a request during one makes one more.</summary>
    void RequestRound()
    {
        if (_roundRunning)
        {
            _roundAgain = true;
            return;
        }
        _ = RunRoundsAsync();
    }

    async Task RunRoundsAsync()
    {
        _roundRunning = true;
        try
        {
            await Task.Yield(); // let the arrivals already waiting in the activation's queue join this round
            do
            {
                _roundAgain = false;
                await EnsureEstimatesAsync();
                // With every worker busy no placement is possible; the timer's round still refreshes urgencies.
                if (_pool.HasFreeWorker || _tickRound) await StartAllAsync(_pool.Plan(Now));
                _tickRound = false;
            } while (_roundAgain);
        }
        catch (Exception e)
        {
            log.LogError(e, "scheduling round of pool {Pool} failed; the next arrival, completion or tick retries", Pool);
        }
        finally
        {
            _roundRunning = false;
        }
    }

    /// <summary>New (or invalidated) queued jobs get their estimates from every worker, in one batch per worker: the
    /// work is spread over the silos where the worker grains live.</summary>
    async Task EnsureEstimatesAsync()
    {
        while (_pool.PendingEstimates() is { } pending)
        {
            var answers = pending.Request is { } request
                ? await Task.WhenAll(_pool.Workers.Select(w => GrainFactory.GetGrain<IWorkerNodeGrain>(w).Estimate(request)))
                : [];
            _pool.ApplyEstimates(pending.Jobs, pending.Kinds, answers, Now, ToModelSeconds);
        }
    }

    async Task StartAllAsync(IReadOnlyList<(Placement Placement, PoolQueue.RunningAttempt Attempt)> placements)
    {
        if (placements.Count == 0) return;
        await _writer.WriteAsync(); // the decision is durable before any worker acts on it
        await Task.WhenAll(placements.Select(p => StartAsync(p.Placement, p.Attempt)));
        await _writer.WriteAsync();
    }

    async Task StartAsync(Placement placement, PoolQueue.RunningAttempt attempt)
    {
        var entry = attempt.Entry;
        var dispatch = new Dispatch(entry.Id, attempt.Attempt, Pool, attempt.Worker, entry.Spec.Engine, entry.Spec.Queries,
            placement.Config, placement.EstimateSeconds, _settings.TimeScale, time.GetUtcNow(), placement.Reason);
        var worker = GrainFactory.GetGrain<IWorkerNodeGrain>(attempt.Worker);
        StartResult result;
        try
        {
            result = await worker.Start(dispatch);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "starting {Job} attempt {Attempt} on {Worker} failed; asking the worker what it runs", entry.Id, attempt.Attempt, attempt.Worker);
            result = await ReconcileAsync(worker, dispatch);
        }

        switch (result)
        {
            case StartResult.Started:
                return;
            case StartResult.Busy:
                _pool.ReturnToQueue(attempt);
                _pool.MarkFree(attempt.Worker, entry.Id, Now);
                if ((await worker.GetStatus()).RunningJob is { } other) _pool.MarkBusy(attempt.Worker, other, Now);
                break;
            case StartResult.Unregistered:
                _pool.ReturnToQueue(attempt);
                _pool.MarkFree(attempt.Worker, entry.Id, Now);
                _pool.MarkBusy(attempt.Worker, PoolQueue.NotAMember, Now); // unusable until it registers again
                break;
            case StartResult.JobDeclined:
                _pool.Forget(entry.Id, attempt.Attempt); // cancelled meanwhile
                _pool.MarkFree(attempt.Worker, entry.Id, Now);
                break;
            case StartResult.ExecutorFailed:
                _pool.MarkFree(attempt.Worker, entry.Id, Now);
                await Requeue(entry.Id, attempt.Attempt, $"the executor could not start it on '{attempt.Worker}'");
                break;
        }
        RequestRound();
    }

    /// <summary>After a failed Start call, the worker's own status says whether the attempt runs there.</summary>
    async Task<StartResult> ReconcileAsync(IWorkerNodeGrain worker, Dispatch dispatch)
    {
        try
        {
            var status = await worker.GetStatus();
            if (status.RunningJob == dispatch.Job && status.RunningAttempt == dispatch.Attempt) return StartResult.Started;
            return StartResult.Busy;
        }
        catch (Exception e)
        {
            log.LogWarning(e, "worker {Worker} does not answer; its job goes back to the queue", dispatch.Worker);
            return StartResult.Unregistered;
        }
    }

    void Remember(string job)
    {
        _recent.Enqueue(job);
        while (_recent.Count > options.Value.RecentJobs) _recent.Dequeue();
    }

    CoordinatorRecord Snapshot() => new()
    {
        Settings = _settings,
        Epoch = _epoch,
        Workers = [.. _pool.Workers.Select(w => { var (engines, strength) = _pool.Describe(w); return new PoolWorkerRecord(w, [.. engines], strength); })],
        Queue = [.. _pool.Queue.Select(QueueEntryRecord.From)],
        Running = [.. _pool.Running.Select(r => new RunningRecord(QueueEntryRecord.From(r.Entry), r.Worker, r.Attempt))],
        Recent = [.. _recent],
    };
}
