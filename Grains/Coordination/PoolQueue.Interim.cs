using SynergAI.Scheduling;
using SynergAI.Scheduling.Policies;

namespace SynergAI.Grains.Coordination;

// INTERIM (replaced by the scheduling core's shared bookkeeping when it lands): the members the shards and the
// dispatcher need, written on PoolQueue's current internals.
public sealed record WorkerSnapshot(string Name, string[] Engines, double Strength, string ProfileKey, string? RunningJob,
    double ExpectedFreeAt, double LastFreeAt);

public sealed partial class PoolQueue
{
    readonly Dictionary<string, string> _profileKeys = new(StringComparer.Ordinal);

    public void SetWorker(string name, IEnumerable<string> engines, double strength, string profileKey)
    {
        SetWorker(name, engines, strength);
        _profileKeys[name] = profileKey;
    }

    public IReadOnlyList<string> Ask => Workers;

    public int QueuedCount => _queue.Count;

    public IReadOnlyList<WorkerSnapshot> Snapshot() =>
        [.. _workers.Select(w => new WorkerSnapshot(w.Worker.Name, [.. _engines[w.Index]], w.Strength,
            _profileKeys.GetValueOrDefault(w.Worker.Name, w.Worker.Name), w.RunningJob, w.IsFree ? 0 : w.ExpectedFreeAt, w.LastFreeAt))];

    public void Apply(IReadOnlyList<WorkerSnapshot> workers)
    {
        foreach (var w in workers)
        {
            var known = _workerIndex.TryGetValue(w.Name, out var index);
            if (!known || !_engines[index].SetEquals(w.Engines) || _workers[index].Strength != w.Strength
                || _profileKeys.GetValueOrDefault(w.Name) != w.ProfileKey)
                SetWorker(w.Name, w.Engines, w.Strength, w.ProfileKey);
            index = _workerIndex[w.Name];
            _workers[index] = Restored(index, _workers[index].Worker, w.Strength, w.RunningJob, w.ExpectedFreeAt, w.LastFreeAt);
        }
    }

    public void Undo(RunningAttempt attempt)
    {
        if (!_running.Remove(attempt.Entry.Id)) return;
        var at = _queue.Count;
        while (at > 0 && _queue[at - 1].SubmittedAt > attempt.Entry.SubmittedAt) at--;
        _queue.Insert(at, attempt.Entry);
        _queuedById[attempt.Entry.Id] = attempt.Entry;
        if (_workerIndex.TryGetValue(attempt.Worker, out var index) && _workers[index].RunningJob == attempt.Entry.Id)
        {
            var w = _workers[index];
            _workers[index] = Restored(index, w.Worker, w.Strength, null, 0, w.LastFreeAt);
        }
    }

    static WorkerState Restored(int index, Worker worker, double strength, string? running, double expectedFreeAt, double lastFreeAt)
    {
        var state = new WorkerState(index, worker) { Strength = strength };
        if (double.IsFinite(lastFreeAt))
        {
            state.Start("", 0, 0);
            state.Finish(lastFreeAt);
        }
        if (running is not null) state.Start(running, expectedFreeAt, 0);
        return state;
    }
}
