using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using SynergAI.Grains.Coordination;
using SynergAI.Grains.Persistence;
using SynergAI.Grains.Telemetry;
using SynergAI.Scheduling.Pool;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains;

/// <summary>
/// One shard of a pool's queue: the waiting jobs that hash here, their estimates (asked of one worker per class) and
/// urgency, re-evaluated with the pool's policy every round on a replica of the pool's workers. It holds nothing
/// durable: on activation it rebuilds its queue from the jobs' records (the job history), and a periodic anti-entropy
/// sweep puts back what a crash or a lost message left out. Reentrant: its only awaits are estimates, the job history
/// and the jobs' own status, never a run.
/// </summary>
[Reentrant, ShardPlacement] // dealt round the silos
[Orleans.GrainDirectory.GrainDirectory(Hosting.PoolGrainDirectory)]
public sealed class PoolShardGrain(
    GrainReferences grains,
    IOptions<SynergAiOptions> options,
    IJobHistory history,
    TimeProvider time,
    ILogger<PoolShardGrain> log) : Grain, IPoolShardGrain
{
    PoolQueue _book = null!;
    PoolView _view = null!;
    string _pool = "";
    int _index;
    /// <summary>The latest proposal's placements, out of the queue until the dispatcher settles them.</summary>
    readonly Dictionary<string, PoolQueue.RunningAttempt> _offered = new(StringComparer.Ordinal);
    readonly HashSet<string> _cancelledWhileOffered = new(StringComparer.Ordinal);
    readonly Dictionary<string, PoolQueue.Entry> _requeuedWhileOffered = new(StringComparer.Ordinal);
    DateTimeOffset _offeredAt;
    readonly Queue<string> _recent = new();
    /// <summary>Told the dispatcher since its latest round that this shard has work.</summary>
    bool _poked;
    /// <summary>The latest view had a free worker (worked out once per view, not per arrival: a fleet may be large).</summary>
    bool _freeInView;

    PoolSettings Settings => _view.Settings;
    IPoolDispatchGrain Dispatcher => grains.Of<IPoolDispatchGrain>(_pool);
    double ToModelSeconds(DateTimeOffset at) => (at - _view.Epoch).TotalSeconds / Settings.TimeScale;

    /// <summary>A proposal the dispatcher never settled (it died mid-round) is given up after this long; the sweep then
    /// takes back those of its jobs still waiting.</summary>
    static readonly TimeSpan OfferTimeout = TimeSpan.FromSeconds(30);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_pool, _index) = ShardKey.Parse(this.GetPrimaryKeyString());
        _view = await Dispatcher.GetView();
        _book = new PoolQueue(PolicyCatalog.Create(Settings.Policy));
        Apply(_view);
        var interval = options.Value.AntiEntropyInterval;
        this.RegisterGrainTimer(SweepQuietly, new GrainTimerCreationOptions(interval, interval) { Interleave = true });
        var rebuilt = await RebuildAsync();
        if (rebuilt > 0) log.LogInformation("shard {Shard} of pool {Pool}: {Jobs} waiting job(s) rebuilt from their records", _index, _pool, rebuilt);
    }

    public async Task<PoolSettings> Enqueue(string job, JobSpec spec, DateTimeOffset submittedAt, int attempts, bool bestEffort)
    {
        var home = ShardKey.Index(job, Settings.Shards);
        if (home != _index) // routed with settings older than the pool's latest (see PoolSettingsCache)
            return await grains.Of<IPoolShardGrain>(ShardKey.Of(_pool, home)).Enqueue(job, spec, submittedAt, attempts, bestEffort);
        if (_offered.ContainsKey(job))
        {
            // It failed at once on the worker it was offered to (the executor could not start it) and queued itself
            // again: it comes back when the round settles.
            _requeuedWhileOffered[job] = new PoolQueue.Entry(job, spec, submittedAt, attempts) { BestEffort = bestEffort };
            return Settings;
        }
        if (_book.Contains(job)) return Settings;
        if (!_book.CanRun(spec.Engine))
        {
            Apply(await Dispatcher.GetView()); // a worker may have registered since this shard's latest round
            if (!_book.CanRun(spec.Engine))
            {
                var engines = _book.Engines.Order(StringComparer.Ordinal).ToList();
                if (engines.Count == 0) throw new PoolNotReadyException(_pool);
                throw new UnknownEngineException(spec.Engine, _pool, engines);
            }
        }
        _book.Enqueue(new PoolQueue.Entry(job, spec, submittedAt, attempts) { BestEffort = bestEffort });
        Remember(job);
        // With every worker busy at the latest round, the next worker to free up starts a round anyway.
        if (!_poked && _freeInView)
        {
            _poked = true;
            _ = Dispatcher.ShardHasWork();
        }
        return Settings;
    }

    public Task<bool> Remove(string job)
    {
        if (_offered.ContainsKey(job))
        {
            _cancelledWhileOffered.Add(job); // the dispatch in flight is declined by the job; it must not come back here
            return Task.FromResult(false);
        }
        return Task.FromResult(_book.Remove(job));
    }

    public async Task<ShardProposal> Propose(PoolView view, bool reestimate)
    {
        if (_offered.Count > 0) SettleOffers([.. _offered.Keys]); // a round that never settled: nothing of it started for sure
        Apply(view);
        if (reestimate) _book.InvalidateEstimates();
        var clock = Stopwatch.StartNew();
        await EnsureEstimatesAsync();
        var estimating = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var placements = _book.Plan(view.Now);
        var deciding = clock.Elapsed.TotalMilliseconds;
        foreach (var (_, attempt) in placements) _offered[attempt.Entry.Id] = attempt;
        _offeredAt = time.GetUtcNow();
        _poked = false;
        SynergAiMetrics.QueueObserved(_pool, _index, _book.QueuedCount + _offered.Count, _book.Queue.Count == 0 ? null : _book.Queue.Min(e => e.SubmittedAt));
        return new ShardProposal([.. placements.Select(p => QueueEntryRecord.From(p.Attempt.Entry))], _book.QueuedCount + _offered.Count,
            estimating, deciding);
    }

    public Task Settle(string[] returned)
    {
        SettleOffers(returned);
        return Task.CompletedTask;
    }

    void SettleOffers(IReadOnlyCollection<string> returned)
    {
        var back = returned.ToHashSet(StringComparer.Ordinal);
        foreach (var (job, attempt) in _offered)
        {
            if (back.Contains(job) && !_cancelledWhileOffered.Contains(job)) _book.Undo(attempt);
            else _book.Forget(job, attempt.Attempt); // started on a worker, or declined: the job's record carries it on
        }
        _offered.Clear();
        _cancelledWhileOffered.Clear();
        foreach (var entry in _requeuedWhileOffered.Values)
            if (!_book.Contains(entry.Id)) _book.Enqueue(entry);
        _requeuedWhileOffered.Clear();
    }

    public Task Refresh(PoolView view)
    {
        Apply(view);
        return Task.CompletedTask;
    }

    public Task<ShardQueue> GetQueue()
    {
        var queue = _book.Queue;
        return Task.FromResult(new ShardQueue(
            [.. queue.Select(QueuedJobViews.Of)],
            [.. queue.Select(e => e.SubmittedAt)],
            [.. _recent]));
    }

    public async Task<int> Sweep()
    {
        if (_offered.Count > 0 && time.GetUtcNow() - _offeredAt > OfferTimeout) SettleOffers([]);
        var rows = (await history.UnfinishedAsync(_pool)).Where(r => ShardKey.Index(r.Job, Settings.Shards) == _index).ToList();
        var workers = rows.Where(r => r.State is JobState.Dispatched or JobState.Running && r.Worker is not null)
            .Select(r => r.Worker!).Distinct(StringComparer.Ordinal).ToList();
        var runs = await RunsAsync(workers);
        var grace = options.Value.HeartbeatTimeout * 2;
        var acted = 0;
        foreach (var found in AntiEntropy.Find(rows, _book.Contains, runs, time.GetUtcNow(), grace))
        {
            var status = await GrainFactory.GetGrain<IJobGrain>(found.Job).GetStatus();
            if (status?.Worker is { } worker && !runs.ContainsKey(worker))
                foreach (var (name, run) in await RunsAsync([worker])) runs[name] = run;
            if (AntiEntropy.Recheck(found, status, runs, time.GetUtcNow(), grace) is not { } suspect)
            {
                // The row lags behind the record (a silo died between the two writes): bring it up to date.
                if (status is not null && rows.Find(r => r.Job == status.Id) is { } row && (row.State, row.Attempts) != (status.State, status.Attempts))
                    await history.RecordAsync(status);
                continue;
            }
            acted++;
            if (suspect.Finding == AntiEntropy.Finding.NotHeld)
            {
                if (_book.Contains(suspect.Job) || !_book.CanRun(status!.Spec.Engine)) continue;
                _book.Enqueue(new PoolQueue.Entry(suspect.Job, status.Spec, status.SubmittedAt, status.Attempts) { BestEffort = status.BestEffort });
                log.LogWarning("shard {Shard} of pool {Pool}: job {Job} was waiting in no shard; queued again", _index, _pool, suspect.Job);
                _ = Dispatcher.ShardHasWork();
            }
            else
            {
                log.LogWarning("shard {Shard} of pool {Pool}: job {Job} attempt {Attempt} is recorded on worker {Worker}, which does not run it",
                    _index, _pool, suspect.Job, suspect.Attempt, suspect.Worker);
                await GrainFactory.GetGrain<IJobLifecycleGrain>(suspect.Job).OnAttemptEnded(suspect.Attempt, false, time.GetUtcNow(),
                    $"lost: worker '{suspect.Worker}' does not run it");
                await Dispatcher.WorkerFreed(suspect.Worker!, suspect.Job, suspect.Attempt);
            }
        }
        // A poke lost with a dying dispatcher would otherwise leave this shard silent until some other round.
        if (_book.QueuedCount > 0) _ = Dispatcher.ShardHasWork();
        return acted;
    }

    /// <summary>What each worker runs, as its own grain says.</summary>
    async Task<Dictionary<string, (string Job, int Attempt)?>> RunsAsync(IEnumerable<string> workers)
    {
        var statuses = await Task.WhenAll(workers.Select(w => grains.Of<IWorkerNodeGrain>(w).GetStatus()));
        return statuses.ToDictionary(s => s.Name, s => s.RunningJob is { } job ? (job, s.RunningAttempt) : ((string, int)?)null, StringComparer.Ordinal);
    }

    async Task SweepQuietly(CancellationToken cancellationToken)
    {
        try { await Sweep(); }
        catch (Exception e) { log.LogWarning(e, "shard {Shard} of pool {Pool}: anti-entropy sweep failed; the next one tries again", _index, _pool); }
    }

    /// <summary>The pool's waiting jobs that hash here, from their records. A job whose record lags behind (it was
    /// dispatched meanwhile) is declined by its own grain when dispatched again, so taking too much is harmless. The
    /// history rows do not carry the best-effort flag: a rebuilt job waits unflagged, ahead of where it was.</summary>
    async Task<int> RebuildAsync()
    {
        var rebuilt = 0;
        foreach (var row in await history.UnfinishedAsync(_pool))
        {
            if (row.State is not (JobState.Submitted or JobState.Queued) || ShardKey.Index(row.Job, Settings.Shards) != _index
                || _book.Contains(row.Job) || !_book.CanRun(row.Engine)) continue;
            _book.Enqueue(new PoolQueue.Entry(row.Job, new JobSpec(row.Engine, row.Queries, row.QosSeconds), row.SubmittedAt, row.Attempts));
            rebuilt++;
        }
        if (rebuilt > 0) _ = Dispatcher.ShardHasWork();
        return rebuilt;
    }

    void Apply(PoolView view)
    {
        if (view.Settings.Policy != _view.Settings.Policy && _book.IsIdle) _book.Policy = PolicyCatalog.Create(view.Settings.Policy);
        _view = view;
        _freeInView = view.Workers.Any(w => w.RunningJob is null && w.Engines.Length > 0);
        _book.Apply([.. view.Workers.Select(w => new WorkerSnapshot(w.Name, w.Engines, w.Strength, w.ProfileKey, w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt))]);
    }

    /// <summary>Queued jobs without estimates get them from one worker of each class, in one batch per worker: the
    /// work is spread over the silos where those worker grains live.</summary>
    async Task EnsureEstimatesAsync()
    {
        while (_book.PendingEstimates() is { } pending)
        {
            var answers = pending.Request is { } request
                ? await Task.WhenAll(pending.Ask.Select(w => grains.Of<IWorkerRuntimeGrain>(w).Estimate(request)))
                : [];
            _book.ApplyEstimates(pending.Jobs, pending.Kinds, answers, _view.Now, ToModelSeconds);
        }
    }

    void Remember(string job)
    {
        _recent.Enqueue(job);
        while (_recent.Count > Math.Max(1, options.Value.RecentJobs / Math.Max(1, Settings.Shards))) _recent.Dequeue();
    }
}
