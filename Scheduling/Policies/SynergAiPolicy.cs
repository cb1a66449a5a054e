using System.Globalization;
using System.Runtime.InteropServices;

namespace SynergAI.Scheduling.Policies;

/// <summary>
/// SynergAI's online phase (thesis ch. 6, spec §3), in three steps:
/// <list type="number">
/// <item><b>Evaluate</b> every queued job: <c>T_remaining = T_qos − T_waiting</c>; the acceptable classes of worker are
/// those whose <c>T_est</c> (in their optimal configuration) fits in it; urgency is <c>T_remaining − T_est</c> on the
/// fastest class.</item>
/// <item><b>Order</b> the queue by urgency, most urgent first; jobs with no acceptable class go behind every job
/// that can still make its deadline.</item>
/// <item><b>Bind</b>: each job in order takes the lowest free worker of its acceptable classes, fastest class first,
/// in that class's <c>c*</c>; if none is free it waits. Then jobs that can no longer make it take a free worker of the
/// class with the smallest <c>T_est</c>: a worker left free at that point is one no feasible job is waiting for.</item>
/// </list>
/// A round costs per job about the number of classes, not of workers (see <see cref="FreeWorkers"/>).
/// </summary>
public sealed class SynergAiPolicy : ISchedulingPolicy
{
    public string Name => "synergai";

    /// <summary>True (the default): every round evaluates every queued job and gives each one left waiting its wait
    /// reason, which the pool shows and the simulator reports. False: a round evaluates only the jobs it reaches before
    /// the free workers run out, and leaves the others' urgency and reason as they were — the same placements, for a
    /// caller that reads nothing else (a forecast, run on copies of the jobs).</summary>
    public bool RecordsEveryJob { get; set; } = true;

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var queue = context.Queue;
        var free = context.Free;
        var now = context.Now;

        if (free.Count == 0 || queue.Count == 0)
        {
            if (RecordsEveryJob)
                foreach (var job in queue)
                {
                    Evaluate(job, now, free);
                    job.Waits(WaitCode.AllWorkersBusy);
                }
            return [];
        }

        var jobs = Span(queue);
        var ordered = Order(jobs, now);
        var round = new Round(free);
        var placements = new List<Placement>();
        var busy = WaitReasons.Words(WaitCode.AllWorkersBusy);
        for (var i = 0; i < ordered.Length; i++)
        {
            var job = jobs[ordered[i].Place];
            if (round.Left == 0)
            {
                if (!RecordsEveryJob) break;
                Evaluate(job, now, free);
                if (job.WaitCode != WaitCode.AllWorkersBusy || !ReferenceEquals(job.WaitReason, busy)) job.Waits(WaitCode.AllWorkersBusy);
                continue;
            }
            Evaluate(job, now, free);
            var placement = job.AcceptableClasses > 0 ? BindFeasible(job, round) : BindLate(job, round);
            if (placement is not null) placements.Add(placement);
        }
        return placements;
    }

    /// <summary>Eqs. 6.1-6.4: the acceptable classes are a prefix of the job's fastest-first estimates.</summary>
    static void Evaluate(QueuedJob job, double now, FreeWorkers free)
    {
        var remaining = job.QosSeconds - (now - job.ArrivalSeconds);
        var fastest = job.Fastest;
        var acceptable = 0;
        var workers = 0;
        while (acceptable < fastest.Length && fastest[acceptable].Seconds <= remaining) workers += free.Members(fastest[acceptable++].Class);
        job.AcceptableClasses = acceptable;
        job.AcceptableWorkers = workers;
        job.Urgency = remaining - fastest[0].Seconds;
    }

    /// <summary>Feasible jobs first (a job is feasible when its fastest class meets its deadline:
    /// <see cref="Evaluate"/>'s acceptable classes are not none), each group most urgent first, ties in arrival order:
    /// the queue sorted by the key (late, urgency, place in the queue), computed exactly as <see cref="Evaluate"/> does.
    /// The key is unique, so the order is the same whatever sorts it.
    /// <para>Sorted incrementally: the jobs of the previous round are laid out in that round's order and the new ones,
    /// sorted among themselves, after them; a merge of the ascending runs then costs about one pass when little moved.
    /// Between rounds every urgency falls by the same elapsed time, so the order hardly changes: only the jobs whose
    /// deadline became unreachable move (from the front of the feasible ones to the back of the late ones), plus the
    /// rare pair that rounding reorders. The result is exactly a full sort's; only its cost differs.</para></summary>
    ReadOnlySpan<SortKey> Order(ReadOnlySpan<QueuedJob> queue, double now)
    {
        var n = queue.Length;
        var previousCount = _count;
        if (_keys.Length < n) { _keys = new SortKey[Math.Max(n, 2 * _keys.Length)]; _scratch = new SortKey[_keys.Length]; }
        if (_byRank.Length < previousCount) _byRank = new SortKey[Math.Max(previousCount, 2 * _byRank.Length)];
        if (_places.Length < n) { _places = new long[_keys.Length]; _rankOf = new int[_keys.Length]; _nextPlaces = new long[_keys.Length]; }
        var byRank = _byRank.AsSpan(0, previousCount);
        byRank.Fill(Absent);

        // Lay out the queue in the previous round's order: the queue is in arrival order, as it was then, so one walk
        // along both finds each job's previous rank; the jobs that were not there go to the end.
        var keys = _keys;
        var places = _places;
        var nextPlaces = _nextPlaces;
        var fresh = n;
        var p = 0;
        for (var i = 0; i < n; i++)
        {
            var job = queue[i];
            var order = job.Order;
            nextPlaces[i] = order;
            while (p < previousCount && places[p] < order) p++;
            var key = Key(job, i, now);
            if (p < previousCount && places[p] == order) byRank[_rankOf[p++]] = key;
            else keys[--fresh] = key;
        }
        var kept = 0;
        foreach (var key in byRank)
            if (key.Place >= 0) keys[kept++] = key;
        var added = n - fresh;
        if (added > 0)
        {
            if (fresh != kept) Array.Copy(keys, fresh, keys, kept, added);
            Array.Sort(keys, kept, added, SortKey.Comparer);
        }
        MergeRuns(keys, _scratch, n);

        for (var k = 0; k < n; k++) _rankOf[keys[k].Place] = k;
        (_places, _nextPlaces) = (nextPlaces, places);
        _count = n;
        return keys.AsSpan(0, n);
    }

    /// <summary>The queue as a span (the book's list as it is; anything else copied).</summary>
    static ReadOnlySpan<QueuedJob> Span(IReadOnlyList<QueuedJob> queue) => queue switch
    {
        List<QueuedJob> list => CollectionsMarshal.AsSpan(list),
        QueuedJob[] array => array,
        _ => queue.ToArray(),
    };

    static SortKey Key(QueuedJob job, int place, double now)
    {
        var remaining = job.QosSeconds - (now - job.ArrivalSeconds);
        var fastest = job.FastestSeconds;
        return new SortKey(remaining - fastest, place, !(fastest <= remaining));
    }

    /// <summary>Sorts <paramref name="keys"/>[0..n) by merging its ascending runs pairwise: linear on sorted input,
    /// <c>n log(runs)</c> in general.</summary>
    static void MergeRuns(SortKey[] keys, SortKey[] scratch, int n)
    {
        if (n < 2) return;
        List<int>? starts = null;
        for (var i = 1; i < n; i++)
            if (SortKey.Compare(keys[i - 1], keys[i]) > 0) (starts ??= [0]).Add(i);
        if (starts is null) return;
        var from = keys;
        var to = scratch;
        while (starts.Count > 1)
        {
            var merged = new List<int>((starts.Count + 1) / 2);
            for (var r = 0; r < starts.Count; r += 2)
            {
                var lo = starts[r];
                var mid = r + 1 < starts.Count ? starts[r + 1] : n;
                var hi = r + 2 < starts.Count ? starts[r + 2] : n;
                merged.Add(lo);
                int a = lo, b = mid, o = lo;
                while (a < mid && b < hi) to[o++] = SortKey.Compare(from[a], from[b]) <= 0 ? from[a++] : from[b++];
                while (a < mid) to[o++] = from[a++];
                while (b < hi) to[o++] = from[b++];
            }
            starts = merged;
            (from, to) = (to, from);
        }
        if (!ReferenceEquals(from, keys)) Array.Copy(from, keys, n);
    }

    /// <summary>A job's key in the order: feasible before late, then urgency (as <see cref="double.CompareTo(double)"/>
    /// orders it), then its place in the queue.</summary>
    readonly record struct SortKey(double Urgency, int Place, bool Late)
    {
        public static int Compare(in SortKey x, in SortKey y)
        {
            if (x.Late != y.Late) return x.Late ? 1 : -1;
            var u = x.Urgency.CompareTo(y.Urgency);
            return u != 0 ? u : x.Place.CompareTo(y.Place);
        }

        public static readonly IComparer<SortKey> Comparer = Comparer<SortKey>.Create(static (x, y) => Compare(x, y));
    }

    /// <summary>The previous round: how many jobs it ordered, their places in arrival order (the book's numbers) in
    /// queue order, and the rank each got; then scratch reused from round to round.</summary>
    int _count;
    long[] _places = [];
    long[] _nextPlaces = [];
    int[] _rankOf = [];
    SortKey[] _byRank = [];
    static readonly SortKey Absent = new(0, -1, false);
    SortKey[] _keys = [];
    SortKey[] _scratch = [];

    static Placement? BindFeasible(QueuedJob job, Round round)
    {
        for (var rank = 0; rank < job.AcceptableClasses; rank++)
        {
            var estimate = job.FastestFirst[rank];
            if (!round.HasFree(estimate.Class)) continue;
            var why = rank == 0
                ? $"fastest worker meeting the deadline (T_est {F(estimate.Seconds)} s, slack {F(job.Urgency)} s)"
                : $"acceptable worker {rank + 1} of {job.AcceptableClasses}, faster ones busy (T_est {F(estimate.Seconds)} s)";
            return new Placement(job, round.Take(estimate.Class), estimate.Config, estimate.Seconds, why);
        }
        // A free worker that runs the engine but too slowly: the job is held for one that meets its deadline.
        var slowerFree = false;
        for (var rank = job.AcceptableClasses; rank < job.FastestFirst.Count && !slowerFree; rank++) slowerFree = round.HasFree(job.FastestFirst[rank].Class);
        // The code's own words (no per-job text: a round may leave thousands waiting); the count is AcceptableWorkers.
        job.Waits(slowerFree ? WaitCode.HeldForFasterWorker : WaitCode.AllAcceptableWorkersBusy);
        return null;
    }

    static Placement? BindLate(QueuedJob job, Round round)
    {
        foreach (var estimate in job.FastestFirst)
            if (round.HasFree(estimate.Class))
                return new Placement(job, round.Take(estimate.Class), estimate.Config, estimate.Seconds,
                    $"no worker can meet the deadline (short by {F(-job.Urgency)} s); fastest free worker");
        job.Waits(WaitCode.DeadlineUnreachable);
        return null;
    }

    static string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>This round's scratch: the free workers it has not taken yet. A round always takes the lowest free
    /// worker of a class, so what it took of a class is a prefix of that class's free workers.</summary>
    sealed class Round(FreeWorkers free)
    {
        readonly int[] _taken = new int[free.ClassCount];
        readonly IEnumerator<int>?[] _next = new IEnumerator<int>?[free.ClassCount];

        public int Left { get; private set; } = free.Count;

        public bool HasFree(int @class) => @class < _taken.Length && _taken[@class] < free.InClass(@class).Count;

        public int Take(int @class)
        {
            var next = _next[@class] ??= free.InClass(@class).GetEnumerator();
            next.MoveNext();
            _taken[@class]++;
            Left--;
            return next.Current;
        }
    }
}
