using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Grains.Coordination;

/// <summary>
/// A pool's queue, its workers and its running attempts for the coordinator grain: a thin adapter over the scheduling
/// core's <see cref="PoolBook"/> that adds what the control plane needs around it — job specs, attempts and failures,
/// bound workers by name, and the workers' estimates (asked once per class of identical workers, cached per kind of
/// job). Time is in the pool's model seconds, passed in.
/// </summary>
public sealed class PoolQueue(ISchedulingPolicy policy)
{
    /// <summary>A queued job: its spec, and once its workers have estimated it, the policy's view of it.</summary>
    public sealed class Entry(string id, JobSpec spec, DateTimeOffset submittedAt, int attempts)
    {
        public string Id { get; } = id;
        public JobSpec Spec { get; } = spec;
        public DateTimeOffset SubmittedAt { get; } = submittedAt;
        /// <summary>The last attempt number handed out; each dispatch gets the next, so a late message from an
        /// earlier attempt can always be told apart.</summary>
        public int Attempts { get; set; } = attempts;
        /// <summary>Estimated, but no worker of the pool can run it now; it waits for a worker to register.</summary>
        public bool Unrunnable { get; set; }
        public string? BoundWorker { get; set; }
        public QueuedJob? Scheduled { get; set; }
        /// <summary>Admitted best-effort: planned only on the workers a round leaves after every unflagged job.</summary>
        public bool BestEffort { get; init; }
        /// <summary>Its place in the queue's arrival order (an undone placement goes back to it).</summary>
        internal long Order { get; set; }
    }

    public sealed record RunningAttempt(Entry Entry, string Worker, int Attempt);

    readonly PoolBook _book = new(policy);
    readonly List<string> _names = [];
    readonly List<HashSet<string>> _engines = [];
    readonly List<string> _profileKeys = [];
    readonly List<Entry> _queue = [];
    long _nextOrder;
    /// <summary>Queued jobs still waiting for their estimates, so a round touches only them, not the whole queue.</summary>
    readonly HashSet<Entry> _unestimated = [];
    /// <summary>The queued jobs by id, so membership checks don't walk the queue.</summary>
    readonly Dictionary<string, Entry> _queuedById = new(StringComparer.Ordinal);
    readonly Dictionary<string, RunningAttempt> _running = new(StringComparer.Ordinal);
    /// <summary>The estimates per kind of job (engine, query count) and class: T_est depends on nothing else, so they
    /// hold until a worker joins, leaves or changes its profile.</summary>
    readonly Dictionary<(string Engine, int Queries), (Estimate[] Fastest, Estimate?[] Defaults)> _kinds = [];
    const int MaxKinds = 100_000;

    public ISchedulingPolicy Policy { get => _book.Policy; set => _book.Policy = value; }
    /// <summary>The scheduling core's book under this queue (the forecast runs a copy of it).</summary>
    internal PoolBook Book => _book;
    public IReadOnlyList<Entry> Queue => _queue;
    public int QueuedCount => _queue.Count;
    public IReadOnlyCollection<RunningAttempt> Running => _running.Values;
    /// <summary>Every worker the pool has known, in index order.</summary>
    public IReadOnlyList<string> Workers => _names;
    /// <summary>The workers that belong to the pool now (a worker that moved to another pool keeps its index but
    /// runs nothing here).</summary>
    public IReadOnlyList<string> Members => [.. _names.Where((_, w) => _engines[w].Count > 0)];
    public IEnumerable<string> Engines => _engines.SelectMany(e => e).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    public bool IsIdle => _queue.Count == 0 && _running.Count == 0;
    public bool HasFreeWorker => _book.HasFreeWorker;

    public bool CanRun(string engine) => _engines.Any(e => e.Contains(engine));
    public bool Contains(string job) => _running.ContainsKey(job) || _queuedById.ContainsKey(job);
    public (IReadOnlyList<string> Engines, double Strength) Describe(string worker) =>
        ([.. _engines[Index(worker)]], _book.Workers[Index(worker)].Strength);

    /// <summary>Adds a worker, or updates a known one; it is a class of its own. Every queued job is estimated again.</summary>
    public void SetWorker(string name, IEnumerable<string> engines, double strength) => SetWorker(name, engines, strength, name);

    /// <summary>Adds a worker, or updates a known one. Workers with equal non-empty <paramref name="profileKey"/> (and
    /// engines) have identical estimates: they form one class, asked once. Every queued job is estimated again.</summary>
    public void SetWorker(string name, IEnumerable<string> engines, double strength, string profileKey)
    {
        Record(name, new HashSet<string>(engines, StringComparer.Ordinal), strength, profileKey);
        InvalidateEstimates();
    }

    /// <summary>Records a worker's engines, strength and class; true when any of them changed.</summary>
    bool Record(string name, HashSet<string> engines, double strength, string profileKey)
    {
        if (profileKey.Length == 0) profileKey = name;
        if (!_book.TryGetWorker(name, out var index))
        {
            index = _book.SetWorker(new Worker(name, "", 0, 0, ""), ClassKey(name, engines, profileKey), strength);
            _names.Add(name);
            _engines.Add(engines);
            _profileKeys.Add(profileKey);
            return true;
        }
        var changed = !_engines[index].SetEquals(engines) || _book.Workers[index].Strength != strength || _profileKeys[index] != profileKey;
        _engines[index] = engines;
        _profileKeys[index] = profileKey;
        _book.SetWorker(_book.Workers[index].Worker, ClassKey(name, engines, profileKey), strength);
        return changed;
    }

    /// <summary>A class is the profile and the engines; a worker without engines here is a class of its own.</summary>
    static string ClassKey(string name, HashSet<string> engines, string profileKey) =>
        engines.Count == 0 ? "\u0001none\u0001" + name : profileKey + "\u0001" + string.Join("\u0001", engines.Order(StringComparer.Ordinal));

    /// <summary>The workers as another copy of this pool needs them to plan exactly alike.</summary>
    public IReadOnlyList<WorkerSnapshot> Snapshot() =>
        [.. _book.Workers.Select(w => new WorkerSnapshot(_names[w.Index], [.. _engines[w.Index].Order(StringComparer.Ordinal)], w.Strength,
            _profileKeys[w.Index], w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt))];

    /// <summary>Makes this pool's workers exactly those of <paramref name="workers"/> (a snapshot of the pool this one
    /// replicates, which lists its workers at the indices it knows them by): unknown ones are appended, each takes the
    /// snapshot's engines, strength, class, and free or busy state with its times. Workers missing from the snapshot
    /// are no longer members. Queued jobs are estimated again only if the workers, their engines, strength or class
    /// changed.</summary>
    public void Apply(IReadOnlyList<WorkerSnapshot> workers)
    {
        var changed = false;
        var named = new HashSet<string>(StringComparer.Ordinal);
        for (var w = 0; w < workers.Count; w++)
        {
            var worker = workers[w];
            if (_book.TryGetWorker(worker.Name, out var known) ? known != w : w != _names.Count)
                throw new InvalidOperationException($"worker '{worker.Name}' is at index {w} in the snapshot but not here: a replica only ever appends the workers it learns of");
            named.Add(worker.Name);
            changed |= Record(worker.Name, new HashSet<string>(worker.Engines, StringComparer.Ordinal), worker.Strength, worker.ProfileKey);
            _book.SetState(Index(worker.Name), worker.RunningJob, worker.ExpectedFreeAt, worker.LastFreeAt);
        }
        foreach (var name in _names.Where(n => !named.Contains(n)).ToList())
        {
            changed |= Record(name, [], 0, _profileKeys[Index(name)]);
            _book.SetState(Index(name), NotAMember, 0, _book.Workers[Index(name)].LastFreeAt);
        }
        if (changed) InvalidateEstimates();
    }

    /// <summary>Forgets when each worker was last free (LRU and MRU look at it), for a pool that starts a new epoch of
    /// model time: times from the old epoch would mean nothing in the new one. Only while idle.</summary>
    public void ResetHistory()
    {
        if (!IsIdle) throw new InvalidOperationException("a pool's worker history can only be reset while it is idle");
        _book.ResetHistory();
    }

    /// <summary>The worker moved to another pool: no engines here, never free here, queued jobs estimated again.</summary>
    public void Leave(string name, double now)
    {
        if (!_book.TryGetWorker(name, out var index)) return;
        Record(name, [], 0, _profileKeys[index]);
        MarkBusy(name, NotAMember, now);
        InvalidateEstimates();
    }

    /// <summary>What a worker that is not (or no longer) usable in this pool is marked busy with.</summary>
    public const string NotAMember = "(not a worker of this pool)";

    /// <summary>Forgets every estimate: the queued jobs are estimated again by the workers.</summary>
    public void InvalidateEstimates()
    {
        _kinds.Clear();
        _book.ClearQueue();
        foreach (var entry in _queue)
        {
            entry.Scheduled = null;
            entry.Unrunnable = false;
            _unestimated.Add(entry);
        }
    }

    /// <summary>Queues a job at the end of arrival order; false (and nothing changes) if a job of its id is already
    /// queued: the queue and the policy's view of it hold each job once, so a round can never plan a job twice.</summary>
    public bool Enqueue(Entry entry)
    {
        if (_queuedById.ContainsKey(entry.Id)) return false;
        entry.Order = _nextOrder++;
        Requeue(entry);
        return true;
    }

    /// <summary>Puts an entry back at its place in arrival order (<see cref="Entry.Order"/>).</summary>
    void Requeue(Entry entry)
    {
        Insert(entry);
        if (entry.Scheduled is null) _unestimated.Add(entry);
        else _book.Enqueue(entry.Scheduled, entry.Order);
    }

    void Insert(Entry entry)
    {
        var at = Position(entry.Order);
        if (at == _queue.Count) _queue.Add(entry); else _queue.Insert(at, entry);
        _queuedById[entry.Id] = entry;
    }

    public bool Remove(string job)
    {
        if (!_queuedById.Remove(job, out var entry)) return false;
        _unestimated.Remove(entry);
        _queue.RemoveAt(Position(entry.Order));
        if (entry.Scheduled is not null) _book.Remove(entry.Scheduled);
        return true;
    }

    /// <summary>The queued jobs that still need estimates; for the kinds of job (engine, query count) among them that
    /// are not known yet, one batch request; and the workers to ask it of: one per class that has members, in class
    /// order (workers of a class have identical estimates). Null when no job needs estimates.</summary>
    public (List<Entry> Jobs, List<(string Engine, int Queries)> Kinds, EstimateRequest? Request, IReadOnlyList<string> Ask)? PendingEstimates()
    {
        var jobs = _unestimated.Where(e => !e.Unrunnable).ToList();
        if (jobs.Count == 0) return null;
        var kinds = jobs.Select(j => (j.Spec.Engine, j.Spec.Queries)).Where(k => !_kinds.ContainsKey(k)).Distinct().ToList();
        if (kinds.Count == 0) return (jobs, kinds, null, []);
        var engines = kinds.Select(k => k.Engine).Distinct(StringComparer.Ordinal).ToList();
        var request = new EstimateRequest([.. engines], [.. kinds.Select(k => engines.IndexOf(k.Engine))], [.. kinds.Select(k => k.Queries)]);
        return (jobs, kinds, request, [.. Asked().Select(w => _names[w])]);
    }

    /// <summary>The first worker of each class that has engines here.</summary>
    IEnumerable<int> Asked() => _book.FirstOfClass.Where(w => _engines[w].Count > 0);

    /// <summary>Records the answers of the workers in <c>Ask</c> (matched by the answering worker's name, so answers
    /// from every worker do as well) for the requested kinds, then gives each pending job that is still queued the
    /// policy's view of it, and tells the policy about jobs it has not seen. Jobs of one kind share their (read-only)
    /// estimates.</summary>
    public void ApplyEstimates(List<Entry> jobs, List<(string Engine, int Queries)> kinds, IReadOnlyList<WorkerEstimates> byWorker,
        double now, Func<DateTimeOffset, double> toModelSeconds)
    {
        if (kinds.Count > 0)
        {
            var answers = new Dictionary<string, WorkerEstimates>(StringComparer.Ordinal);
            foreach (var answer in byWorker) answers.TryAdd(answer.Worker, answer);
            var asked = Asked().ToList();
            if (asked.Any(w => !answers.ContainsKey(_names[w]))) return; // a worker joined meanwhile; ask again
            if (_kinds.Count + kinds.Count > MaxKinds) _kinds.Clear();
            for (var k = 0; k < kinds.Count; k++) _kinds[kinds[k]] = Merge(kinds[k].Engine, k, asked, answers);
        }
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
            entry.Scheduled = new QueuedJob(job, fastest, defaults) { BestEffort = entry.BestEffort };
            _unestimated.Remove(entry);
            if (entry.BoundWorker is { } bound && _book.TryGetWorker(bound, out var index))
            {
                entry.Scheduled.BoundWorker = index;
                _book.Enqueue(entry.Scheduled, entry.Order);
            }
            else
            {
                _book.Arrive(entry.Scheduled, now, entry.Order);
                if (entry.Scheduled.BoundWorker >= 0) entry.BoundWorker = _names[entry.Scheduled.BoundWorker];
            }
        }
    }

    /// <summary>One kind of job's estimates on every class that has its engine: fastest first (ties by class index),
    /// and by class in the default configurations.</summary>
    (Estimate[] Fastest, Estimate?[] Defaults) Merge(string engine, int kind, List<int> asked, Dictionary<string, WorkerEstimates> answers)
    {
        var fastest = new List<Estimate>(asked.Count);
        var defaults = new Estimate?[_book.ClassCount];
        foreach (var w in asked)
        {
            if (!_engines[w].Contains(engine)) continue;
            var answer = answers[_names[w]];
            var @class = _book.Workers[w].Class;
            if (answer.OptimalConfig[kind] >= 0)
                fastest.Add(new Estimate(@class, answer.Configs[answer.OptimalConfig[kind]], answer.OptimalSeconds[kind]));
            if (answer.DefaultConfig[kind] >= 0) defaults[@class] = new Estimate(@class, answer.Configs[answer.DefaultConfig[kind]], answer.DefaultSeconds[kind]);
        }
        return (QueuedJob.SortFastestFirst(fastest), defaults);
    }

    /// <summary>One scheduling round: the policy's placements, already applied (jobs moved to running, workers busy).</summary>
    public IReadOnlyList<(Placement Placement, RunningAttempt Attempt)> Plan(double now)
    {
        var placements = _book.Plan(now);
        if (placements.Count == 0) return [];
        var result = new List<(Placement, RunningAttempt)>(placements.Count);
        var started = new HashSet<Entry>(placements.Count);
        foreach (var placement in placements)
        {
            _queuedById.Remove(placement.Job.Job.Id, out var entry);
            var attempt = new RunningAttempt(entry!, _names[placement.Worker], entry!.Attempts + 1);
            _running[entry.Id] = attempt;
            started.Add(entry);
            result.Add((placement, attempt));
        }
        _queue.RemoveAll(started.Contains);
        return result;
    }

    /// <summary>A planned placement that was never acted on: the job goes back to its place in the queue as it was
    /// before the round (its attempt number not used up, its estimates kept), the worker is free again with its
    /// previous last-free time.</summary>
    public void Undo(RunningAttempt attempt)
    {
        if (!_running.TryGetValue(attempt.Entry.Id, out var running) || running != attempt) return;
        _running.Remove(attempt.Entry.Id);
        var entry = attempt.Entry;
        if (_book.TryGetWorker(attempt.Worker, out var worker) && entry.Scheduled is not null
            && _book.RunningOn(worker)?.Placement.Job == entry.Scheduled)
        {
            _book.Undo(worker); // the policy's view of the job goes back to its place too
            Insert(entry);
        }
        else Requeue(entry);
    }

    /// <summary>An attempt a worker says it runs (a new dispatcher's activation asks its members).</summary>
    public void RestoreRunning(Entry entry, string worker, int attempt, double now)
    {
        _running[entry.Id] = new RunningAttempt(entry, worker, attempt);
        MarkBusy(worker, entry.Id, now);
    }

    /// <summary>The attempt is over and the job leaves the pool's books (completed elsewhere, declined, failed for good).</summary>
    public bool Forget(string job, int attempt) =>
        _running.TryGetValue(job, out var running) && running.Attempt == attempt && _running.Remove(job);

    public RunningAttempt? RunningOf(string job) => _running.GetValueOrDefault(job);

    public void MarkBusy(string worker, string job, double now)
    {
        if (_book.TryGetWorker(worker, out var index)) _book.MarkBusy(index, job, now);
    }

    /// <summary>The worker is free, if the job it was busy with (as far as the pool knows) is <paramref name="job"/>;
    /// null frees it whatever it was running.</summary>
    public void MarkFree(string worker, string? job, double now)
    {
        if (_book.TryGetWorker(worker, out var index) && (job is null || _book.Workers[index].RunningJob == job))
            _book.Finish(index, now);
    }

    int Index(string worker) => _book.TryGetWorker(worker, out var index) ? index : throw new KeyNotFoundException($"unknown worker '{worker}'");

    /// <summary>Where an entry of <paramref name="order"/> is or would go in <see cref="_queue"/>.</summary>
    int Position(long order) => ArrivalOrder.Position(_queue, order, static e => e.Order);
}
