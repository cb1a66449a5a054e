namespace SynergAI.Scheduling.Policies;

/// <summary>
/// The free workers by class, each in ascending worker index, kept up to date by whoever owns the workers (see
/// <see cref="Pool.PoolBook"/>), so a policy finds "the lowest free worker of a class" without scanning every worker.
/// </summary>
public sealed class FreeWorkers
{
    static readonly SortedSet<int> None = [];
    readonly List<SortedSet<int>> _byClass = [];
    readonly List<int> _members = [];
    readonly SortedSet<int> _all = [];

    /// <summary>How many workers are free.</summary>
    public int Count => _all.Count;

    public int ClassCount => _byClass.Count;

    /// <summary>Every free worker, ascending (for rules that look at all of them).</summary>
    public IReadOnlyCollection<int> All => _all;

    /// <summary>The free workers of a class, ascending.</summary>
    public IReadOnlyCollection<int> InClass(int @class) => @class < _byClass.Count ? _byClass[@class] : None;

    /// <summary>How many workers, free or busy, belong to a class.</summary>
    public int Members(int @class) => @class < _members.Count ? _members[@class] : 0;

    /// <summary>The index of plain worker states, for callers that keep none (a round built by hand).</summary>
    public static FreeWorkers Of(IReadOnlyList<WorkerState> workers)
    {
        var free = new FreeWorkers();
        foreach (var worker in workers) free.Join(worker);
        return free;
    }

    internal void Join(WorkerState worker)
    {
        while (_byClass.Count <= worker.Class) { _byClass.Add([]); _members.Add(0); }
        _members[worker.Class]++;
        if (worker.IsFree) Freed(worker);
    }

    internal void Clear()
    {
        _byClass.Clear();
        _members.Clear();
        _all.Clear();
    }

    internal void Freed(WorkerState worker)
    {
        _byClass[worker.Class].Add(worker.Index);
        _all.Add(worker.Index);
    }

    internal void Taken(WorkerState worker)
    {
        _byClass[worker.Class].Remove(worker.Index);
        _all.Remove(worker.Index);
    }
}
