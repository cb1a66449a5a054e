using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains.Coordination;

/// <summary>
/// A pool's queue, its workers as the policy sees them, and its running attempts: the coordinator grain's state in
/// plain C#, so that the grain only does I/O around it. Time is in the pool's model seconds, passed in.
/// </summary>
public sealed partial class PoolQueue(ISchedulingPolicy policy)
{
    /// <summary>A queued job: its spec, and once every worker has estimated it, the policy's view of it.</summary>
    public sealed class Entry(string id, JobSpec spec, DateTimeOffset submittedAt, int attempts)
    {
        public string Id { get; } = id;
        public JobSpec Spec { get; } = spec;
        public DateTimeOffset SubmittedAt { get; } = submittedAt;
        /// <summary>The last attempt number handed out; each dispatch gets the next, so a late message from an
        /// earlier attempt can always be told apart.</summary>
        public int Attempts { get; set; } = attempts;
        /// <summary>Attempts that failed (executor failure, lost heartbeat); the job fails for good at the maximum.</summary>
        public int Failures { get; set; }
        /// <summary>Estimated, but no worker of the pool can run it now; it waits for a worker to register.</summary>
        public bool Unrunnable { get; set; }
        public string? BoundWorker { get; set; }
        public QueuedJob? Scheduled { get; set; }
    }

    public sealed record RunningAttempt(Entry Entry, string Worker, int Attempt);

    readonly List<WorkerState> _workers = [];
    readonly Dictionary<string, int> _workerIndex = new(StringComparer.Ordinal);
    readonly List<HashSet<string>> _engines = [];
    readonly List<Entry> _queue = [];
    /// <summary>Queued jobs still waiting for their estimates, so a round touches only them, not the whole queue.</summary>
    readonly HashSet<Entry> _unestimated = [];
    /// <summary>The queued jobs by id, so membership checks don't walk the queue.</summary>
    readonly Dictionary<string, Entry> _queuedById = new(StringComparer.Ordinal);
    readonly Dictionary<string, RunningAttempt> _running = new(StringComparer.Ordinal);
    /// <summary>The workers' answers per kind of job (engine, query count): T_est depends on nothing else, so they
    /// hold until a worker joins, leaves or changes its profile.</summary>
    readonly Dictionary<(string Engine, int Queries), (Estimate[] Fastest, Estimate?[] Defaults)> _kinds = [];
    const int MaxKinds = 100_000;

    public ISchedulingPolicy Policy { get; set; } = policy;
    public IReadOnlyList<Entry> Queue => _queue;
    public IReadOnlyCollection<RunningAttempt> Running => _running.Values;
    /// <summary>Every worker the pool has known, in index order (the order estimates are asked and answered in).</summary>
    public IReadOnlyList<string> Workers => [.. _workers.Select(w => w.Worker.Name)];
    /// <summary>The workers that belong to the pool now (a worker that moved to another pool keeps its index but
    /// runs nothing here).</summary>
    public IReadOnlyList<string> Members => [.. _workers.Where(w => _engines[w.Index].Count > 0).Select(w => w.Worker.Name)];
    public IEnumerable<string> Engines => _engines.SelectMany(e => e).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    public bool IsIdle => _queue.Count == 0 && _running.Count == 0;

    public bool CanRun(string engine) => _engines.Any(e => e.Contains(engine));
    public bool Contains(string job) => _running.ContainsKey(job) || _queuedById.ContainsKey(job);
    public (IReadOnlyList<string> Engines, double Strength) Describe(string worker) =>
        ([.. _engines[_workerIndex[worker]]], _workers[_workerIndex[worker]].Strength);

    /// <summary>Adds a worker, or updates the engines of a known one. Every queued job is estimated again.</summary>
    public void SetWorker(string name, IEnumerable<string> engines, double strength)
    {
        if (!_workerIndex.TryGetValue(name, out var index))
        {
            index = _workers.Count;
            _workerIndex.Add(name, index);
            _workers.Add(new WorkerState(index, new Worker(name, "", 0, 0, "")));
            _engines.Add([]);
        }
        _engines[index] = new HashSet<string>(engines, StringComparer.Ordinal);
        _workers[index].Strength = strength;
        InvalidateEstimates();
    }

    /// <summary>Forgets when each worker was last free (LRU and MRU look at it), for a pool that starts a new epoch of
    /// model time: times from the old epoch would mean nothing in the new one. Only while idle.</summary>
    public void ResetHistory()
    {
        if (!IsIdle) throw new InvalidOperationException("a pool's worker history can only be reset while it is idle");
        for (var w = 0; w < _workers.Count; w++)
        {
            var old = _workers[w];
            _workers[w] = new WorkerState(w, old.Worker) { Strength = old.Strength };
            if (!old.IsFree) _workers[w].Start(old.RunningJob!, 0, 0); // a worker marked as not usable here stays so
        }
    }

    /// <summary>The worker moved to another pool: no engines here, never free here, queued jobs estimated again.</summary>
    public void Leave(string name, double now)
    {
        if (!_workerIndex.TryGetValue(name, out var index)) return;
        _engines[index] = [];
        _workers[index].Strength = 0;
        MarkBusy(name, NotAMember, now);
        InvalidateEstimates();
    }

    /// <summary>What a worker that is not (or no longer) usable in this pool is marked busy with.</summary>
    public const string NotAMember = "(not a worker of this pool)";

    /// <summary>Forgets every estimate: the queued jobs are estimated again by the workers.</summary>
    public void InvalidateEstimates()
    {
        _kinds.Clear();
        foreach (var entry in _queue)
        {
            entry.Scheduled = null;
            entry.Unrunnable = false;
            _unestimated.Add(entry);
        }
    }

    public void Enqueue(Entry entry)
    {
        _queue.Add(entry);
        _queuedById[entry.Id] = entry;
        if (entry.Scheduled is null) _unestimated.Add(entry);
    }

    public bool Remove(string job)
    {
        if (!_queuedById.Remove(job, out var entry)) return false;
        _unestimated.Remove(entry);
        _queue.Remove(entry);
        return true;
    }

    /// <summary>The queued jobs that still need estimates, and, for the kinds of job (engine, query count) among them
    /// that no worker has estimated yet, one batch request for every worker (null when all are known).</summary>
    public (List<Entry> Jobs, List<(string Engine, int Queries)> Kinds, EstimateRequest? Request)? PendingEstimates()
    {
        var jobs = _unestimated.Where(e => !e.Unrunnable).ToList();
        if (jobs.Count == 0) return null;
        var kinds = jobs.Select(j => (j.Spec.Engine, j.Spec.Queries)).Where(k => !_kinds.ContainsKey(k)).Distinct().ToList();
        if (kinds.Count == 0) return (jobs, kinds, null);
        var engines = kinds.Select(k => k.Engine).Distinct(StringComparer.Ordinal).ToList();
        return (jobs, kinds, new EstimateRequest([.. engines], [.. kinds.Select(k => engines.IndexOf(k.Engine))], [.. kinds.Select(k => k.Queries)]));
    }

    /// <summary>Records every worker's answers (in worker order) for the requested kinds, then gives each pending job
    /// that is still queued the policy's view of it, and tells the policy about jobs it has not seen. Jobs of one kind
    /// share their (read-only) estimates.</summary>
    public void ApplyEstimates(List<Entry> jobs, List<(string Engine, int Queries)> kinds, IReadOnlyList<WorkerEstimates> byWorker,
        double now, Func<DateTimeOffset, double> toModelSeconds)
    {
        if (kinds.Count > 0)
        {
            if (byWorker.Count != _workers.Count) return; // a worker joined meanwhile; ask again
            if (_kinds.Count + kinds.Count > MaxKinds) _kinds.Clear();
            for (var k = 0; k < kinds.Count; k++) _kinds[kinds[k]] = Merge(kinds[k].Engine, k, byWorker);
        }
        // One context for the whole batch, its queue growing as jobs get their view (one per job would make a large
        // batch quadratic), and built only if the policy looks at it.
        List<QueuedJob>? known = null;
        var queue = new Lazy<List<QueuedJob>>(() => known = [.. _queue.Where(e => e.Scheduled is not null).Select(e => e.Scheduled!)]);
        var context = new SchedulingContext(now, _workers, new LazyList<QueuedJob>(queue));
        foreach (var entry in jobs)
        {
            if (!_unestimated.Contains(entry) || !_kinds.TryGetValue((entry.Spec.Engine, entry.Spec.Queries), out var estimates)) continue;
            var (fastest, defaults) = estimates;
            if (fastest.Length == 0)
            {
                entry.Unrunnable = true; // no worker can run it any more; it waits until one registers
                continue;
            }
            var job = new Job(entry.Id, toModelSeconds(entry.SubmittedAt), entry.Spec.Engine, entry.Spec.Queries, entry.Spec.QosSeconds);
            entry.Scheduled = new QueuedJob(job, fastest, defaults);
            _unestimated.Remove(entry);
            known?.Add(entry.Scheduled);
            if (entry.BoundWorker is { } bound && _workerIndex.TryGetValue(bound, out var index)) entry.Scheduled.BoundWorker = index;
            else
            {
                Policy.OnArrival(entry.Scheduled, context);
                if (entry.Scheduled.BoundWorker >= 0) entry.BoundWorker = _workers[entry.Scheduled.BoundWorker].Worker.Name;
            }
        }
    }

    /// <summary>One kind of job's estimates on every worker of the pool that has its engine: fastest first (ties by
    /// worker index), and by worker in the default configurations.</summary>
    (Estimate[] Fastest, Estimate?[] Defaults) Merge(string engine, int kind, IReadOnlyList<WorkerEstimates> byWorker)
    {
        var fastest = new List<Estimate>(byWorker.Count);
        var defaults = new Estimate?[byWorker.Count];
        for (var w = 0; w < byWorker.Count; w++)
        {
            if (!_engines[w].Contains(engine)) continue; // left the pool, or never had the engine
            var answer = byWorker[w];
            if (answer.OptimalConfig[kind] >= 0)
                fastest.Add(new Estimate(w, answer.Configs[answer.OptimalConfig[kind]], answer.OptimalSeconds[kind]));
            if (answer.DefaultConfig[kind] >= 0) defaults[w] = new Estimate(w, answer.Configs[answer.DefaultConfig[kind]], answer.DefaultSeconds[kind]);
        }
        fastest.Sort((a, b) => a.Seconds != b.Seconds ? a.Seconds.CompareTo(b.Seconds) : a.Worker.CompareTo(b.Worker));
        return ([.. fastest], defaults);
    }

    /// <summary>One scheduling round: the policy's placements, already applied (jobs moved to running, workers busy).</summary>
    public IReadOnlyList<(Placement Placement, RunningAttempt Attempt)> Plan(double now)
    {
        var placements = Policy.Schedule(Context(now));
        var result = new List<(Placement, RunningAttempt)>(placements.Count);
        var entryOf = placements.Count == 0 ? [] : _queue.Where(e => e.Scheduled is not null).ToDictionary(e => e.Scheduled!);
        foreach (var placement in placements)
        {
            var entry = entryOf[placement.Job];
            var attempt = new RunningAttempt(entry, _workers[placement.Worker].Worker.Name, entry.Attempts + 1);
            _workers[placement.Worker].Start(entry.Id, now, placement.EstimateSeconds);
            _running[entry.Id] = attempt;
            result.Add((placement, attempt));
        }
        if (result.Count > 0)
        {
            var started = result.Select(r => r.Item2.Entry).ToHashSet();
            _queue.RemoveAll(started.Contains);
            foreach (var entry in started) _queuedById.Remove(entry.Id);
        }
        return result;
    }

    /// <summary>The worker did not take the attempt (busy or gone): the job goes back; the attempt number is used up
    /// but no failure is counted.</summary>
    public void ReturnToQueue(RunningAttempt attempt)
    {
        if (!_running.Remove(attempt.Entry.Id)) return;
        attempt.Entry.Attempts = attempt.Attempt;
        _queue.Add(attempt.Entry);
        _queuedById[attempt.Entry.Id] = attempt.Entry;
    }

    /// <summary>An attempt that was running when the coordinator's state was saved.</summary>
    public void RestoreRunning(Entry entry, string worker, int attempt, double now)
    {
        _running[entry.Id] = new RunningAttempt(entry, worker, attempt);
        MarkBusy(worker, entry.Id, now);
    }

    /// <summary>The attempt is over and the job leaves the pool's books (completed elsewhere, declined, failed for good).</summary>
    public bool Forget(string job, int attempt) =>
        _running.TryGetValue(job, out var running) && running.Attempt == attempt && _running.Remove(job);

    /// <summary>A failed attempt: the job is queued again with the failure counted, if it was this attempt.</summary>
    public Entry? Retry(string job, int failedAttempt)
    {
        if (!_running.TryGetValue(job, out var running) || running.Attempt != failedAttempt) return null;
        _running.Remove(job);
        running.Entry.Attempts = failedAttempt;
        running.Entry.Failures++;
        running.Entry.Scheduled = null;
        running.Entry.BoundWorker = null;
        Enqueue(running.Entry);
        return running.Entry;
    }

    public RunningAttempt? RunningOf(string job) => _running.GetValueOrDefault(job);

    public void MarkBusy(string worker, string job, double now)
    {
        if (_workerIndex.TryGetValue(worker, out var index) && _workers[index].IsFree) _workers[index].Start(job, now, 0);
    }

    /// <summary>The worker is free, if the job it was busy with (as far as the pool knows) is <paramref name="job"/>;
    /// null frees it whatever it was running.</summary>
    public void MarkFree(string worker, string? job, double now)
    {
        if (_workerIndex.TryGetValue(worker, out var index) && !_workers[index].IsFree && (job is null || _workers[index].RunningJob == job))
            _workers[index].Finish(now);
    }

    public bool HasFreeWorker => _workers.Any(w => w.IsFree);

    SchedulingContext Context(double now) =>
        new(now, _workers, [.. _queue.Where(e => e.Scheduled is not null).Select(e => e.Scheduled!)]);
}

/// <summary>A read-only list that is built on first use.</summary>
sealed class LazyList<T>(Lazy<List<T>> items) : IReadOnlyList<T>
{
    public T this[int index] => items.Value[index];
    public int Count => items.Value.Count;
    public IEnumerator<T> GetEnumerator() => items.Value.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
