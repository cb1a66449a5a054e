using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Telemetry;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains;

/// <summary>
/// A pool's dispatcher: its settings, its workers (free or busy) and the rounds that match free workers with jobs.
/// Arrivals never come here: they go to the pool's shards (<see cref="PoolShardGrain"/>). A round gives every shard the
/// workers' state; each runs the pool's policy on its own queue and offers the jobs it would place; the dispatcher runs
/// the policy again on the offered jobs (so decisions stay global), starts the placements on the workers and returns
/// the rest. Reentrant so that no call cycle through it can deadlock; rounds run one at a time.
/// See docs/control-plane.md.
/// </summary>
[Reentrant, Orleans.GrainDirectory.GrainDirectory(Hosting.PoolGrainDirectory)]
public sealed class QueueCoordinatorGrain(
    [PersistentState("pool", StorageNames.Grains)] IPersistentState<PoolRecord> record,
    GrainReferences grains,
    IOptions<SynergAiOptions> options,
    TimeProvider time,
    ILogger<QueueCoordinatorGrain> log) : Grain, IQueueCoordinatorGrain, IPoolDispatchGrain
{
    PoolQueue _book = null!;
    PoolSettings _settings = null!;
    DateTimeOffset _epoch;
    IGrainTimer? _timer;
    readonly SemaphoreSlim _rounds = new(1, 1);
    bool _roundWaiting;
    bool _tickRound;
    /// <summary>Jobs each shard held at the latest round: the pool is idle when they and the running attempts are none.</summary>
    int _queued;
    /// <summary>Workers whose start failed because they could not be reached (their silo may be dead): left alone until
    /// the time given, doubling with each failure, so a round does not burn through its jobs on them.</summary>
    readonly Dictionary<string, (int Failures, DateTimeOffset Until)> _unreachable = new(StringComparer.Ordinal);
    /// <summary>Jobs whose Start call is in flight: recovery leaves them to its answer (a worker that has not yet taken
    /// the attempt would look as if it lost it, and the job would run twice).</summary>
    readonly HashSet<string> _starting = new(StringComparer.Ordinal);

    string Pool => this.GetPrimaryKeyString();
    double Now => (time.GetUtcNow() - _epoch).TotalSeconds / _settings.TimeScale;
    IEnumerable<IPoolShardGrain> Shards(int count) => Enumerable.Range(0, count).Select(i => grains.Of<IPoolShardGrain>(ShardKey.Of(Pool, i)));
    Task<ShardQueue[]> ShardQueuesAsync() => Task.WhenAll(Shards(_settings.Shards).Select(s => s.GetQueue()));
    Task<WorkerEstimates> Estimate(string worker, EstimateRequest request) => grains.Of<IWorkerRuntimeGrain>(worker).Estimate(request);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var saved = record.State;
        var o = options.Value;
        _settings = saved.Settings ?? PoolSettingsRules.Resolve(new PoolSettings(o.Policy, o.TimeScale, o.ReevaluationInterval, Admission: o.Admission), o.Shards);
        _epoch = saved.Settings is null ? time.GetUtcNow() : saved.Epoch;
        _book = new PoolQueue(PolicyCatalog.Create(_settings.Policy));
        foreach (var worker in saved.Workers) _book.SetWorker(worker.Name, worker.Engines, worker.Strength, worker.ProfileKey);
        _restoring = true; // asked of the workers by the first round, so that no call waits on this activation meanwhile
        _timer = this.RegisterGrainTimer(_ => Tick(), new GrainTimerCreationOptions(_settings.ReevaluationInterval, _settings.ReevaluationInterval) { Interleave = true });
        _tickRound = true;
        RequestRound(); // the shards' queues carry on
        if (saved.Workers.Count > 0) _ = AnnounceAsync();
        return Task.CompletedTask;
    }

    /// <summary>Enters the pool in the directory: recovery visits the pools there, and reads (<c>synergai workers
    /// --pool</c>) ask it whether a pool exists rather than activating one.</summary>
    async Task AnnounceAsync()
    {
        try { await GrainFactory.GetGrain<IPoolDirectoryGrain>(IPoolDirectoryGrain.Key).Add(Pool); }
        catch (Exception e) { log.LogWarning(e, "pool {Pool} could not enter the pool directory; recovery after a silo failure may miss it", Pool); }
    }

    bool _restoring;
    /// <summary>While the restore asks the workers (null otherwise): attempts whose worker said it freed up meanwhile. An
    /// answer taken before that must not mark the worker busy again (it would stay busy in the pool's books for good).</summary>
    HashSet<(string Job, int Attempt)>? _freedWhileRestoring;

    /// <summary>What runs is each worker's own record: a new activation asks its members (in its first round). Each
    /// answer counts as it comes; a worker that does not answer in time (its silo may have just died) is counted free
    /// until it frees up or a start finds it busy, so one dead silo holds up no round for long.</summary>
    async Task RestoreRunningAsync()
    {
        var freed = _freedWhileRestoring = [];
        try
        {
            await Task.WhenAll(_book.Members.Select(async w =>
            {
                try
                {
                    var status = await grains.Of<IWorkerNodeGrain>(w).GetStatus().WaitAsync(RestoreLimit);
                    if (status.RunningJob is not { } job || freed.Contains((job, status.RunningAttempt))) return;
                    if (status.Pool != Pool) _book.MarkBusy(status.Name, PoolQueue.NotAMember, Now);
                    else _book.RestoreRunning(new PoolQueue.Entry(job, RunningSpec, time.GetUtcNow(), status.RunningAttempt), status.Name, status.RunningAttempt, Now);
                }
                catch (Exception e)
                {
                    log.LogWarning("pool {Pool}: worker {Worker} did not say what it runs ({Error}); counted free until it answers", Pool, w, e.Message);
                }
            }));
        }
        finally
        {
            _freedWhileRestoring = null;
        }
    }

    static readonly TimeSpan RestoreLimit = TimeSpan.FromSeconds(3);

    /// <summary>The dispatcher needs of a running attempt only its job and number: the job's record holds its spec.</summary>
    static readonly JobSpec RunningSpec = new("(running)", 1, 1);

    public Task<PoolSettings> GetSettings() => Task.FromResult(_settings);

    public Task<PoolView> GetView() => Task.FromResult(View());

    public Task ShardHasWork()
    {
        RequestRound();
        return Task.CompletedTask;
    }

    public Task WorkerFreed(string worker, string job, int attempt)
    {
        _freedWhileRestoring?.Add((job, attempt));
        _book.Forget(job, attempt);
        _book.MarkFree(worker, job, Now);
        RequestRound();
        return Task.CompletedTask;
    }

    public async Task WorkerRegistered(string worker, string[] engines, double strength, string profileKey)
    {
        var first = _book.Members.Count == 0;
        _book.SetWorker(worker, engines, strength, profileKey);
        _book.MarkFree(worker, PoolQueue.NotAMember, Now);
        _unreachable.Remove(worker);
        await SaveAsync();
        if (first) await AnnounceAsync();
        await RefreshShardsAsync();
        RequestRound();
    }

    public async Task WorkerLeft(string worker)
    {
        _book.Leave(worker, Now);
        await SaveAsync();
        await RefreshShardsAsync();
        RequestRound();
    }

    /// <summary>Gives every shard the pool's workers and settings now, so that a submission right after a change is
    /// judged by it (an engine no worker runs any more is refused). Refreshes asked for during one share the next.</summary>
    async Task RefreshShardsAsync()
    {
        try
        {
            await (_shardRefresh ??= new CoalescingWriter(() =>
            {
                var view = View();
                return Task.WhenAll(Shards(_settings.Shards).Select(s => s.Refresh(view)));
            })).WriteAsync().WaitAsync(ShardRefreshLimit);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // A shard on a silo that just died: it gets the workers with the next round's proposal anyway.
            log.LogWarning("pool {Pool}: not every shard took the new workers within {Limit} s ({Error}); the next round brings them",
                Pool, ShardRefreshLimit.TotalSeconds, e.Message);
        }
    }

    static readonly TimeSpan ShardRefreshLimit = TimeSpan.FromSeconds(2);

    CoalescingWriter? _shardRefresh;

    public async Task<PoolStatus> GetStatus()
    {
        var queues = await ShardQueuesAsync();
        var queue = queues.SelectMany(q => q.Jobs.Zip(q.SubmittedAt)).OrderBy(j => j.Second).ThenBy(j => j.First.Job, StringComparer.Ordinal)
            .Select(j => j.First).ToList();
        return new PoolStatus(Pool, _settings, _book.Members, [.. _book.Engines], queue, _book.Running.Count);
    }

    public async Task<JobQuote> Quote(JobSpec spec)
    {
        var queues = await ShardQueuesAsync();
        return await PoolForecaster.QuoteAsync(Pool, View(), _book.Policy.Copy(), queues, spec, time.GetUtcNow(), Estimate);
    }

    public async Task<bool> Admit(string job, JobSpec spec, string mode)
    {
        var queues = await ShardQueuesAsync();
        return await PoolForecaster.AdmitAsync(job, View(), _book.Policy.Copy(), queues, spec, Admission.Parse(mode), time.GetUtcNow(), Estimate);
    }

    public async Task<QueueForecast> Forecast()
    {
        var queues = await ShardQueuesAsync();
        return await PoolForecaster.ForecastAsync(Pool, View(), _book.Policy.Copy(), queues, time.GetUtcNow(), Estimate);
    }

    public async Task<IReadOnlyList<string>> ListJobs()
    {
        var queues = await ShardQueuesAsync();
        return [.. queues.SelectMany(q => q.Jobs.Select(j => j.Job)).Concat(_book.Running.Select(r => r.Entry.Id))
            .Concat(queues.SelectMany(q => q.Recent)).Distinct()];
    }

    public async Task<PoolSettings> Configure(PoolSettings settings)
    {
        if (PoolSettingsRules.Problems(settings, Words).FirstOrDefault() is { } problem) throw new ArgumentException(problem);
        var resolved = PoolSettingsRules.Resolve(settings, options.Value.Shards);
        var queued = (await ShardQueuesAsync()).Sum(q => q.Jobs.Length);
        if (queued > 0 || _book.Running.Count > 0)
            throw new InvalidOperationException($"pool '{Pool}' has {queued} queued and {_book.Running.Count} running jobs; change its settings when it is idle");
        var shardsBefore = _settings.Shards;
        _epoch = time.GetUtcNow();
        _settings = resolved;
        _book.Policy = PolicyCatalog.Create(resolved.Policy);
        _book.ResetHistory();
        _timer?.Change(resolved.ReevaluationInterval, resolved.ReevaluationInterval);
        await SaveAsync();
        var view = View();
        await Task.WhenAll(Shards(Math.Max(shardsBefore, resolved.Shards)).Select(s => s.Refresh(view))); // the old ones forward
        return _settings;

        static string Words(string setting) => setting switch
        {
            nameof(PoolSettings.TimeScale) => "time scale",
            nameof(PoolSettings.ReevaluationInterval) => "re-evaluation interval",
            _ => setting.ToLowerInvariant(),
        };
    }

    public async Task<ReevaluationTiming> Reevaluate()
    {
        await _rounds.WaitAsync();
        try { return await RoundAsync(reestimate: true); }
        finally { _rounds.Release(); }
    }

    public async Task<int> Recover()
    {
        // Two recoveries at once (every surviving silo asks) are harmless: each step re-checks the attempt is current.
        var lost = await CheckRunningAsync();
        if (lost > 0) log.LogWarning("pool {Pool}: {Lost} attempt(s) lost with a silo went back to their jobs", Pool, lost);
        var swept = await Task.WhenAll(Shards(_settings.Shards).Select(s => s.Sweep()));
        if (swept.Sum() > 0) log.LogWarning("pool {Pool}: the shards' sweep put back {Jobs} job(s)", Pool, swept.Sum());
        RequestRound();
        return lost;
    }

    /// <summary>Every attempt the pool believes runs, checked against its worker; how many were lost.</summary>
    async Task<int> CheckRunningAsync() => (await Task.WhenAll(_book.Running.ToList().Select(RecoverAsync))).Count(lost => lost);

    /// <summary>The periodic form of <see cref="Recover"/>: books that drifted from the workers' own records (a message
    /// lost with a silo) heal within an anti-entropy interval, not only when a silo is declared dead.</summary>
    async Task CheckRunningPeriodicallyAsync()
    {
        if (_checkingRunning || time.GetUtcNow() - _runningCheckedAt < options.Value.AntiEntropyInterval) return;
        _checkingRunning = true;
        try
        {
            var lost = await CheckRunningAsync();
            if (lost > 0) log.LogWarning("pool {Pool}: {Lost} attempt(s) no worker runs went back to their jobs", Pool, lost);
        }
        finally
        {
            _runningCheckedAt = time.GetUtcNow();
            _checkingRunning = false;
        }
    }

    bool _checkingRunning;
    DateTimeOffset _runningCheckedAt;

    /// <summary>One attempt the pool believes runs: the worker's own record says whether it does; if not, the job's
    /// own record says whether it ended, or the attempt was lost and the job must queue itself again.</summary>
    async Task<bool> RecoverAsync(PoolQueue.RunningAttempt believed)
    {
        var (job, attempt) = (believed.Entry.Id, believed.Attempt);
        bool Current() => _book.RunningOf(job) is { } now && now.Attempt == attempt && !_starting.Contains(job);
        if (!Current()) return false;
        try
        {
            var worker = await grains.Of<IWorkerNodeGrain>(believed.Worker).GetStatus();
            if (!Current() || (worker.RunningJob == job && worker.RunningAttempt == attempt)) return false;
            var status = await GrainFactory.GetGrain<IJobGrain>(job).GetStatus();
            if (!Current()) return false;
            _book.Forget(job, attempt);
            _book.MarkFree(believed.Worker, job, Now);
            RequestRound();
            if (status is null || status.IsFinished || status.Attempts != attempt) return false; // only the pool's books were behind
            await GrainFactory.GetGrain<IJobLifecycleGrain>(job).OnAttemptEnded(attempt, false, time.GetUtcNow(), $"lost on worker '{believed.Worker}' with its silo");
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
        if (_queued == 0 && _book.Running.Count == 0 && !_roundFailed) return Task.CompletedTask;
        DelayDeactivation(TimeSpan.FromMinutes(30));
        _tickRound = true;
        RequestRound();
        if (_book.Running.Count > 0) _ = CheckRunningPeriodicallyAsync();
        return Task.CompletedTask;
    }

    /// <summary>The latest round failed before it learnt what the shards hold: the timer retries it.</summary>
    bool _roundFailed;

    /// <summary>Asks for a scheduling round; at most one runs at a time, and requests while one waits join it.</summary>
    void RequestRound()
    {
        if (_roundWaiting) return;
        _roundWaiting = true;
        _ = RunRoundAsync();
    }

    async Task RunRoundAsync()
    {
        await _rounds.WaitAsync();
        try
        {
            await Task.Yield(); // let the calls already waiting in the activation's queue join this round
            _roundWaiting = false;
            using var timed = SynergAiMetrics.TimeRound(Pool);
            await RoundAsync(reestimate: false);
            _roundFailed = false;
        }
        catch (Exception e)
        {
            _roundFailed = true;
            log.LogError(e, "scheduling round of pool {Pool} failed; the next arrival, completion or tick retries", Pool);
        }
        finally
        {
            _rounds.Release();
        }
    }

    /// <summary>One round: every shard proposes what its policy run would place; the policy runs again over all the
    /// proposals (with one shard it decides the same); the placements start; the rest go back to their shards.</summary>
    async Task<ReevaluationTiming> RoundAsync(bool reestimate)
    {
        if (_restoring)
        {
            _restoring = false;
            await RestoreRunningAsync();
        }
        var view = View();
        var tick = _tickRound;
        _tickRound = false;
        var members = _book.Members.Count;
        // With every worker busy nothing can start; the timer's round still refreshes every job's urgency and reason.
        if (!reestimate && !tick && !view.Workers.Any(w => w.RunningJob is null && w.Engines.Length > 0))
            return new ReevaluationTiming(_queued, members, 0, 0);

        var shards = Shards(_settings.Shards).ToArray();
        var answers = await Task.WhenAll(shards.Select(s => ProposalOf(s, view, reestimate)));
        var proposals = answers.Select(p => p ?? NoProposal).ToArray();
        _queued = proposals.Sum(p => p.Queued);
        var clock = Stopwatch.StartNew();
        var offered = proposals.SelectMany((p, shard) => p.Jobs.Select(job => (Shard: shard, Job: job))).ToList();
        var returned = new HashSet<string>(StringComparer.Ordinal);
        if (offered.Count > 0)
        {
            IReadOnlyList<(Placement Placement, PoolQueue.RunningAttempt Attempt)> placements = [];
            try
            {
                foreach (var (_, job) in offered)
                    if (!_book.Enqueue(job.ToEntry())) returned.Add(job.Job); // offered twice: one is enough
                await EnsureEstimatesAsync();
                placements = _book.Plan(Now);
            }
            finally
            {
                // What did not start goes back to its shard, also when the round failed half-way (a worker on a dead
                // silo did not answer for estimates): an offer kept past its round would be queued twice when offered
                // again, and the book would plan a job it no longer holds.
                foreach (var waiting in _book.Queue.ToList())
                {
                    returned.Add(waiting.Id);
                    _book.Remove(waiting.Id);
                }
            }
            var left = await Task.WhenAll(placements.Select(p => StartAsync(p.Placement, p.Attempt)));
            for (var i = 0; i < placements.Count; i++)
                if (!left[i]) returned.Add(placements[i].Attempt.Entry.Id);
            await Task.WhenAll(offered.GroupBy(o => o.Shard).Select(async g =>
            {
                try { await shards[g.Key].Settle([.. g.Select(o => o.Job.Job).Where(returned.Contains)]); }
                catch (Exception e) // its unsettled offer goes back to its queue when it next proposes
                {
                    log.LogWarning("pool {Pool}: shard {Shard} did not take back its offer ({Error})", Pool, g.Key, e.Message);
                }
            }));
            if (returned.Count < offered.Count) RequestRound(); // workers taken; the shards may hold more for the ones left
        }
        return new ReevaluationTiming(_queued, members, proposals.Max(p => p.EstimateMilliseconds),
            proposals.Max(p => p.PolicyMilliseconds) + clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>One shard's offer. A shard that does not answer in time (its silo just died, and calls to it wait until
    /// the death is declared) holds up no round: its jobs wait for the next one, and its unsettled offer goes back to
    /// its queue when it next proposes.</summary>
    async Task<ShardProposal?> ProposalOf(IPoolShardGrain shard, PoolView view, bool reestimate)
    {
        try
        {
            var proposal = shard.Propose(view, reestimate);
            return reestimate ? await proposal : await proposal.WaitAsync(ProposalLimit);
        }
        catch (Exception e)
        {
            log.LogWarning("pool {Pool}: shard {Shard} made no offer this round ({Error})", Pool, shard.GetPrimaryKeyString(), e.Message);
            RequestRound();
            return null;
        }
    }

    static readonly TimeSpan ProposalLimit = TimeSpan.FromSeconds(3);
    static readonly ShardProposal NoProposal = new([], 0, 0, 0);

    /// <summary>Starts one placement; true if the job left the queue (it started, or it no longer wants to run), false
    /// if it goes back to its shard unchanged, its attempt number not used up.</summary>
    async Task<bool> StartAsync(Placement placement, PoolQueue.RunningAttempt attempt)
    {
        var entry = attempt.Entry;
        var dispatch = new Dispatch(entry.Id, attempt.Attempt, Pool, attempt.Worker, entry.Spec.Engine, entry.Spec.Queries,
            placement.Config, placement.EstimateSeconds, _settings.TimeScale, time.GetUtcNow(), placement.Reason);
        var worker = grains.Of<IWorkerRuntimeGrain>(attempt.Worker);
        StartResult? result;
        _starting.Add(entry.Id);
        try
        {
            result = await worker.Start(dispatch);
            _unreachable.Remove(attempt.Worker);
        }
        catch (Exception e)
        {
            result = await ReconcileAsync(dispatch, e);
        }
        finally
        {
            _starting.Remove(entry.Id);
        }

        switch (result)
        {
            case StartResult.Started:
                return true;
            case StartResult.JobDeclined: // cancelled meanwhile
            case StartResult.ExecutorFailed: // the worker told the job, which queued itself again or failed
                _book.Forget(entry.Id, attempt.Attempt);
                _book.MarkFree(attempt.Worker, entry.Id, Now);
                return true;
            case StartResult.Busy:
                _book.Undo(attempt);
                _book.Remove(entry.Id);
                if ((await grains.Of<IWorkerNodeGrain>(attempt.Worker).GetStatus()).RunningJob is { } other) _book.MarkBusy(attempt.Worker, other, Now);
                return false;
            case StartResult.Unregistered:
                _book.Undo(attempt);
                _book.Remove(entry.Id);
                _book.MarkBusy(attempt.Worker, PoolQueue.NotAMember, Now); // unusable until it registers again
                return false;
            default: // unreachable: backed off
                _book.Undo(attempt);
                _book.Remove(entry.Id);
                return false;
        }
    }

    /// <summary>After a failed Start call, the worker's own status says whether the attempt runs there; a worker that
    /// cannot be asked either is left alone for a while (null).</summary>
    async Task<StartResult?> ReconcileAsync(Dispatch dispatch, Exception failure)
    {
        try
        {
            var status = await grains.Of<IWorkerNodeGrain>(dispatch.Worker).GetStatus();
            if (status.RunningJob == dispatch.Job && status.RunningAttempt == dispatch.Attempt) return StartResult.Started;
            if (status.RunningJob is not null) return StartResult.Busy;
        }
        catch (Exception)
        {
            // unreachable as well
        }
        var failures = _unreachable.TryGetValue(dispatch.Worker, out var known) ? known.Failures + 1 : 1;
        var pause = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, failures - 1)));
        _unreachable[dispatch.Worker] = (failures, time.GetUtcNow() + pause);
        log.LogWarning(failure, "starting {Job} on {Worker} failed ({Failures} in a row); the job goes back, the worker is left alone for {Pause} s",
            dispatch.Job, dispatch.Worker, failures, pause.TotalSeconds);
        return null;
    }

    /// <summary>Offered jobs get estimates the dispatcher has not cached yet from one worker of each class.</summary>
    async Task EnsureEstimatesAsync()
    {
        while (_book.PendingEstimates() is { } pending)
        {
            var answers = pending.Request is { } request
                ? await Task.WhenAll(pending.Ask.Select(w => grains.Of<IWorkerRuntimeGrain>(w).Estimate(request)))
                : [];
            _book.ApplyEstimates(pending.Jobs, pending.Kinds, answers, Now, at => (at - _epoch).TotalSeconds / _settings.TimeScale);
        }
    }

    PoolView View()
    {
        var now = time.GetUtcNow();
        return new PoolView(_settings, _epoch, [.. _book.Snapshot().Select(w => new PoolWorkerView(w.Name, w.Engines, w.Strength, w.ProfileKey,
            w.RunningJob ?? (_unreachable.TryGetValue(w.Name, out var u) && u.Until > now ? Unreachable : null), w.ExpectedFreeAt, w.LastFreeAt))], Now);
    }

    const string Unreachable = "(unreachable; starts resume after a pause)";

    /// <summary>Saves the settings and members; writes from interleaved calls are coalesced (one in flight), as the
    /// storage's ETag check requires.</summary>
    Task SaveAsync() => (_writer ??= new CoalescingWriter(() =>
    {
        record.State = new PoolRecord
        {
            Settings = _settings,
            Epoch = _epoch,
            Workers = [.. _book.Snapshot().Select(w => new PoolMember(w.Name, w.Engines, w.Strength, w.ProfileKey))],
        };
        return record.WriteStateAsync();
    })).WriteAsync();

    CoalescingWriter? _writer;
}
