using System.Runtime.InteropServices;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Scheduling.Pool;

/// <summary>
/// The state around a policy, kept once for the simulator and the control plane: the queue in arrival order, the
/// workers (free or busy, their times, strength and class, and the free workers by class) and the running placements.
/// It applies what happens — an arrival, a planning round, a completion, a placement undone — so the policy only
/// decides. Time is passed in.
/// </summary>
public sealed class PoolBook(ISchedulingPolicy policy)
{
    readonly List<WorkerState> _workers = [];
    readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    readonly List<string> _classKeys = [];
    readonly List<int> _firstOfClass = [];
    readonly Dictionary<string, int> _classOfKey = new(StringComparer.Ordinal);
    readonly FreeWorkers _free = new();
    readonly List<RunningPlacement?> _running = [];
    readonly List<QueuedJob> _queue = [];
    long _nextOrder;

    public ISchedulingPolicy Policy { get; set; } = policy;

    /// <summary>Every worker the book has known, by index.</summary>
    public IReadOnlyList<WorkerState> Workers => _workers;

    /// <summary>The queued jobs, in arrival order.</summary>
    public IReadOnlyList<QueuedJob> Queue => _queue;

    public FreeWorkers Free => _free;
    public int QueuedCount => _queue.Count;
    public bool HasFreeWorker => _free.Count > 0;

    /// <summary>Classes are numbered in the order of their first worker; estimates are indexed by class.</summary>
    public int ClassCount => _firstOfClass.Count;

    /// <summary>Each class's lowest-index worker, by class.</summary>
    public IReadOnlyList<int> FirstOfClass => _firstOfClass;

    public string ClassKey(int worker) => _classKeys[worker];

    public bool TryGetWorker(string name, out int index) => _indexOf.TryGetValue(name, out index);

    /// <summary>The placement running on a worker, or null when it is free or busy with something else.</summary>
    public RunningPlacement? RunningOn(int worker) => _running[worker];

    public SchedulingContext Context(double now) => new(now, _workers, _queue, _free);

    /// <summary>Adds a worker (free, at the next index), or updates the strength and class of a known one. Workers with
    /// equal <paramref name="classKey"/> share a class. Returns the worker's index.</summary>
    public int SetWorker(Worker worker, string classKey, double strength)
    {
        if (_indexOf.TryGetValue(worker.Name, out var index))
        {
            _workers[index].Strength = strength;
            if (_classKeys[index] != classKey)
            {
                _classKeys[index] = classKey;
                Classify();
            }
            return index;
        }
        index = _workers.Count;
        if (!_classOfKey.TryGetValue(classKey, out var @class))
        {
            @class = _firstOfClass.Count;
            _classOfKey.Add(classKey, @class);
            _firstOfClass.Add(index);
        }
        var state = new WorkerState(index, worker, @class) { Strength = strength };
        _indexOf.Add(worker.Name, index);
        _workers.Add(state);
        _classKeys.Add(classKey);
        _running.Add(null);
        _free.Join(state);
        return index;
    }

    /// <summary>Numbers the classes again in the order of their first worker, after a worker changed class.</summary>
    void Classify()
    {
        _classOfKey.Clear();
        _firstOfClass.Clear();
        _free.Clear();
        foreach (var worker in _workers)
        {
            if (!_classOfKey.TryGetValue(_classKeys[worker.Index], out var @class))
            {
                @class = _firstOfClass.Count;
                _classOfKey.Add(_classKeys[worker.Index], @class);
                _firstOfClass.Add(worker.Index);
            }
            worker.Class = @class;
            _free.Join(worker);
        }
    }

    /// <summary>A job joins the queue at its place in arrival order (<paramref name="order"/>: the caller's order, or
    /// after every job so far), without telling the policy.</summary>
    public void Enqueue(QueuedJob job, long? order = null)
    {
        job.Order = order ?? _nextOrder;
        _nextOrder = Math.Max(_nextOrder, job.Order + 1);
        if (job.BestEffort) _bestEffort++;
        if (_queue.Count == 0 || _queue[^1].Order < job.Order) { _queue.Add(job); return; }
        _queue.Insert(Position(job.Order), job);
    }

    /// <summary>A job arrives: it joins the queue and the policy sees it (SRR and SLO-MAEL bind it here).</summary>
    public void Arrive(QueuedJob job, double now, long? order = null)
    {
        Enqueue(job, order);
        Policy.OnArrival(job, Context(now));
    }

    public bool Remove(QueuedJob job)
    {
        var at = Position(job.Order);
        if (at >= _queue.Count || _queue[at] != job) return false;
        _queue.RemoveAt(at);
        if (job.BestEffort) _bestEffort--;
        return true;
    }

    /// <summary>Every queued job leaves the queue (the caller queues them again, say with new estimates).</summary>
    public void ClearQueue()
    {
        _queue.Clear();
        _bestEffort = 0;
    }

    /// <summary>How many queued jobs are flagged <see cref="QueuedJob.BestEffort"/>.</summary>
    public int BestEffortCount => _bestEffort;
    int _bestEffort;

    /// <summary>One planning round: the policy's placements, applied — the jobs leave the queue, their workers are busy.
    /// <para>Best-effort jobs (<see cref="QueuedJob.BestEffort"/>) never delay a job that is not: while any is queued,
    /// the policy first plans the other jobs alone, as if the flagged ones were not there; then it plans the flagged
    /// ones on the workers left free. Without flagged jobs a round is the policy's alone, as before.</para></summary>
    public IReadOnlyList<Placement> Plan(double now)
    {
        if (_bestEffort == 0) return Apply(Policy.Schedule(Context(now)), now);
        var first = new List<QueuedJob>(_queue.Count - _bestEffort);
        var flagged = new List<QueuedJob>(_bestEffort);
        foreach (var job in _queue) (job.BestEffort ? flagged : first).Add(job);
        var placed = new List<Placement>(Policy.Schedule(new SchedulingContext(now, _workers, first, _free)));
        Occupy(placed, now);
        placed.AddRange(Occupy(Policy.Schedule(new SchedulingContext(now, _workers, flagged, _free)), now));
        return Apply(placed, now, occupied: true);
    }

    /// <summary>Makes the placements' workers busy (a round's first part, so the next part sees what is left).</summary>
    IReadOnlyList<Placement> Occupy(IReadOnlyList<Placement> placements, double now)
    {
        foreach (var placement in placements)
        {
            var worker = _workers[placement.Worker];
            _running[worker.Index] = new RunningPlacement(placement, now, worker.ExpectedFreeAt);
            worker.Start(placement.Job.Job.Id, now, placement.EstimateSeconds);
            _free.Taken(worker);
            placement.Job.Placed = true;
        }
        return placements;
    }

    IReadOnlyList<Placement> Apply(IReadOnlyList<Placement> placements, double now, bool occupied = false)
    {
        if (placements.Count == 0)
        {
            foreach (var job in CollectionsMarshal.AsSpan(_queue))
                if (!job.HasWaited) job.HasWaited = true;
            return placements;
        }
        if (!occupied) Occupy(placements, now);
        var queue = CollectionsMarshal.AsSpan(_queue);
        var kept = 0;
        foreach (var job in queue)
        {
            if (job.Placed)
            {
                if (job.BestEffort) _bestEffort--;
                continue;
            }
            if (!job.HasWaited) job.HasWaited = true; // this round left it waiting
            queue[kept++] = job;
        }
        _queue.RemoveRange(kept, _queue.Count - kept);
        foreach (var placement in placements) placement.Job.Placed = false;
        return placements;
    }

    /// <summary>The worker is free at <paramref name="now"/> (a completion); returns the placement it was running, if
    /// any. Nothing happens to a worker that is already free.</summary>
    public RunningPlacement? Finish(int worker, double now)
    {
        var state = _workers[worker];
        if (state.IsFree) return null;
        var run = _running[worker];
        _running[worker] = null;
        state.Finish(now);
        _free.Freed(state);
        return run;
    }

    /// <summary>A placement that was never acted on: its job goes back to its place in the queue, its worker is free
    /// again as if the round had not happened (same last-free time).</summary>
    public Placement Undo(int worker)
    {
        var run = _running[worker] ?? throw new InvalidOperationException($"no placement runs on worker '{_workers[worker].Worker.Name}'");
        var state = _workers[worker];
        _running[worker] = null;
        state.Restore(null, run.PreviousExpectedFreeAt, state.LastFreeAt);
        _free.Freed(state);
        Enqueue(run.Placement.Job, run.Placement.Job.Order);
        return run.Placement;
    }

    /// <summary>The worker is busy with something that is not one of this book's placements (a job restored after a
    /// restart, a worker unusable here). Nothing happens to a busy worker.</summary>
    public void MarkBusy(int worker, string job, double now, double estimateSeconds = 0)
    {
        var state = _workers[worker];
        if (!state.IsFree) return;
        state.Start(job, now, estimateSeconds);
        _free.Taken(state);
    }

    /// <summary>Puts a worker in exactly the given state (a replica of another copy of the pool).</summary>
    public void SetState(int worker, string? runningJob, double expectedFreeAt, double lastFreeAt)
    {
        var state = _workers[worker];
        if (state.RunningJob != runningJob) _running[worker] = null;
        var wasFree = state.IsFree;
        state.Restore(runningJob, expectedFreeAt, lastFreeAt);
        if (wasFree && !state.IsFree) _free.Taken(state);
        if (!wasFree && state.IsFree) _free.Freed(state);
    }

    /// <summary>Forgets when each worker was last free and expects to be free (a new epoch of model time); busy
    /// workers stay busy.</summary>
    public void ResetHistory()
    {
        foreach (var worker in _workers) worker.Restore(worker.RunningJob, 0, double.NegativeInfinity);
    }

    /// <summary>A copy under <paramref name="policy"/> (a fresh one: policies keep small state), with the same workers
    /// (index, class, strength, state and times) and copies of the queued jobs in the same order, so that running it
    /// forward changes nothing here. A running job is copied as work that keeps its worker busy, not as a placement.</summary>
    public PoolBook Copy(ISchedulingPolicy policy)
    {
        var copy = new PoolBook(policy);
        foreach (var worker in _workers)
        {
            copy.SetWorker(worker.Worker, _classKeys[worker.Index], worker.Strength);
            copy.SetState(worker.Index, worker.RunningJob, worker.ExpectedFreeAt, worker.LastFreeAt);
        }
        foreach (var job in _queue) copy.Enqueue(job.Copy(), job.Order);
        copy._nextOrder = _nextOrder;
        return copy;
    }

    /// <summary>Where a job of <paramref name="order"/> is or would go in the queue.</summary>
    int Position(long order) => ArrivalOrder.Position(_queue, order, static e => e.Order);
}
