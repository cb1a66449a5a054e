using System.Globalization;

namespace SynergAI.Scheduling.Policies;

/// <summary>Knobs of <see cref="SlackAwarePolicy"/>; the defaults are what the catalog runs.</summary>
/// <param name="Margin">A worker counts as safe for a job only if it finishes it with this fraction of the time until
/// then to spare (estimates are not exact): finish + Margin·(finish − now) ≤ deadline.</param>
/// <param name="ScarcityWeight">How steeply a class's price rises with its share of the deadlines seen so far.</param>
/// <param name="Memory">How many placed jobs the prices remember (an exponential moving window).</param>
/// <param name="WaitWeight">What a second of waiting for a busy worker costs, in priced seconds of run time: a job waits
/// for a faster busy worker only if that saves more than this.</param>
/// <param name="MaxGiveUps">How many jobs one round may give up for shorter ones (each costs one more pass).</param>
/// <param name="GiveUpHorizon">How many of the earliest deadlines the give-up search plans (the rest of the queue is
/// planned once, after it).</param>
/// <param name="HoldSeconds">How long after its arrival a job with plenty of slack is held while some worker is busy, so
/// that the tighter jobs of a burst arriving with it are planned first.</param>
/// <param name="HoldSlack">What plenty of slack is: seconds to spare at its planned finish, besides the hold.</param>
/// <param name="DeferSlack">A job may be deferred only while its planned finish leaves more than this fraction of its run
/// time to spare.</param>
/// <param name="DeferDemand">… and only while at least this many jobs per worker of the class, whose deadlines the class
/// could meet, are expected to arrive during its run.</param>
public sealed record SlackAwareSettings(double Margin = 0.05, double ScarcityWeight = 8, int Memory = 48, double WaitWeight = 20, int MaxGiveUps = 8,
    int GiveUpHorizon = 128, double HoldSeconds = 4, double HoldSlack = 100, double DeferSlack = 0.5, double DeferDemand = 3)
{
    public static readonly SlackAwareSettings Default = new();
}

/// <summary>
/// A policy beyond the thesis that plans the whole waiting queue every round instead of one job at a time:
/// <list type="number">
/// <item><b>Plan</b>: the jobs that can still make their deadline, earliest deadline first, each take the worker that
/// finishes them safely in time at the least cost — a free worker now, or a busy one once its running job is expected
/// to end (so a job waits for a faster busy worker when that still meets its deadline and is worth the wait, and the
/// slower free worker stays idle). Cost = run time × the class's price + <see cref="SlackAwareSettings.WaitWeight"/> ×
/// the wait.</item>
/// <item><b>Price</b>: a class's time costs more the larger its share of the deadlines seen so far against its share of
/// the workers (a job whose deadline only that class can meet counts wholly, one that several classes can meet is
/// shared), so jobs that can run elsewhere stay off the workers that only the tight jobs can use.</item>
/// <item><b>Give up</b> (Moore-Hodgson): when a job that could still make it finds no slot behind the jobs planned
/// before it, the longest of those on a class it could use is given up if that lets at least as many make it.</item>
/// <item><b>Hold</b>: a job that arrived less than <see cref="SlackAwareSettings.HoldSeconds"/> ago and has far more
/// slack than that waits while some worker is busy, so that the tight jobs of a burst arriving with it are planned
/// first (arrivals re-plan at once; otherwise the caller's periodic re-evaluation does).</item>
/// <item><b>Defer</b>: a job that would take a free worker now, and could start later and still finish with more
/// than <see cref="SlackAwareSettings.DeferSlack"/> of its run time to spare, waits while some worker is busy if the
/// jobs expected to arrive during its run whose deadlines that class could meet number at least
/// <see cref="SlackAwareSettings.DeferDemand"/> per worker of the class (the recent arrival rate × the class's share of
/// the deadlines seen, as for the prices): a long, lax job started now would keep the worker from them.</item>
/// <item><b>Late jobs</b> (deadline lost even on an idle fastest worker) take only free workers the plan leaves idle,
/// the one that finishes them soonest; a job the plan could not fit waits until its deadline is lost.</item>
/// <item><b>Start</b> what the plan starts now. The placements are those the plan makes from the placed jobs alone
/// (repeated until nothing changes), so a dispatcher that sees only its shards' offers decides exactly alike.</item>
/// </list>
/// Cost of a round: a sort of the queue, then per job and per class that can run it a look at the class's earliest
/// free worker (a heap): one pass over the whole queue, at most 1 + <see cref="SlackAwareSettings.MaxGiveUps"/> passes
/// over its <see cref="SlackAwareSettings.GiveUpHorizon"/> earliest deadlines, then the same over the placed jobs alone
/// as many times as it takes to settle (at most once per placement, usually once).
/// </summary>
public sealed class SlackAwarePolicy(SlackAwareSettings? settings = null) : ISchedulingPolicy
{
    readonly SlackAwareSettings _settings = settings ?? SlackAwareSettings.Default;

    /// <summary>Per class, the share of the remembered jobs' deadlines it could meet (each job's unit spread over the
    /// classes that could finish it within its QoS); learnt from placements only, which every copy of a pool sees alike.</summary>
    double[] _need = [];
    double _remembered;
    /// <summary>Arrival times of the remembered jobs, for the arrival rate.</summary>
    readonly Queue<double> _arrivals = new();

    public string Name => "slack-aware";

    public ISchedulingPolicy Copy()
    {
        var copy = new SlackAwarePolicy(_settings) { _need = [.. _need], _remembered = _remembered };
        foreach (var arrival in _arrivals) copy._arrivals.Enqueue(arrival);
        return copy;
    }

    public IReadOnlyList<Placement> Schedule(SchedulingContext context)
    {
        var queue = context.Queue;
        foreach (var job in queue) Evaluate(job, context);
        if (queue.Count == 0) return [];
        if (context.Free.Count == 0)
        {
            foreach (var job in queue) job.WaitReason = "all workers busy";
            return [];
        }
        var outlook = Outlook(context);
        var placements = Plan(context, queue, outlook);
        // The placed jobs alone must plan to the same placements (a dispatcher sees only these); each pass drops the
        // jobs that would rather wait without the others, so at most as many passes as placements.
        while (placements.Count > 0)
        {
            var again = Plan(context, [.. placements.Select(p => p.Job)], outlook);
            var stable = again.Count == placements.Count;
            placements = again;
            if (stable) break;
        }
        foreach (var placement in placements) Learn(placement.Job);
        return placements;
    }

    /// <summary>SynergAI's evaluation (T_remaining, acceptable classes and workers, urgency), for status views.</summary>
    static void Evaluate(QueuedJob job, SchedulingContext context)
    {
        var remaining = job.Job.QosSeconds - (context.Now - job.Job.ArrivalSeconds);
        var fastest = job.FastestFirst;
        var acceptable = 0;
        var workers = 0;
        while (acceptable < fastest.Count && fastest[acceptable].Seconds <= remaining) workers += context.Free.Members(fastest[acceptable++].Class);
        job.AcceptableClasses = acceptable;
        job.AcceptableWorkers = workers;
        job.Urgency = remaining - fastest[0].Seconds;
    }

    List<Placement> Plan(SchedulingContext context, IReadOnlyList<QueuedJob> jobs, ClassOutlook outlook)
    {
        var order = Order(jobs, context.Now);
        var options = Array.ConvertAll(order, Estimates);
        var given = new HashSet<QueuedJob>();
        var horizon = Math.Min(order.Length, _settings.GiveUpHorizon);
        // Moore-Hodgson, across classes: when a job that could still make it finds no slot behind the jobs planned
        // before it, give up the longest of those on a class it could use, if that lets at least as many make it.
        // Searched over the earliest deadlines only (the horizon), without reasons; the plan kept is then made in full.
        var pass = Pass(context, order, options, outlook, given, horizon, explain: false);
        for (var tries = 0; tries < _settings.MaxGiveUps && pass.Missed >= 0; tries++)
        {
            if (pass.Longest(pass.Missed, options) is not { } victim) break;
            given.Add(victim);
            var trial = Pass(context, order, options, outlook, given, horizon, explain: false);
            if (trial.Feasible < pass.Feasible) { given.Remove(victim); break; }
            pass = trial;
        }
        return Pass(context, order, options, outlook, given, order.Length, explain: true).Placements;
    }

    sealed class PassResult
    {
        public List<Placement> Placements { get; } = [];
        public List<(int Index, QueuedJob Job, int Class, double Seconds)> Planned { get; } = [];
        public int Feasible { get; set; }
        /// <summary>The first job (by its place in the order) that could still make it but found no slot; −1 if none.</summary>
        public int Missed { get; set; } = -1;

        /// <summary>The job planned before the missed one with the longest run on a class the missed job could use,
        /// longer than the missed job's own run there.</summary>
        public QueuedJob? Longest(int missed, Estimate[][] options)
        {
            (QueuedJob Job, double Seconds)? longest = null;
            foreach (var (index, job, @class, seconds) in Planned)
            {
                if (index > missed) break;
                foreach (var estimate in options[missed])
                    if (estimate.Class == @class && seconds > estimate.Seconds && (longest is null || seconds > longest.Value.Seconds))
                        longest = (job, seconds);
            }
            return longest?.Job;
        }
    }

    /// <summary>One pass of the plan over the first <paramref name="limit"/> jobs of the order; with
    /// <paramref name="explain"/>, the placements and every waiting job's reason, else only what the search needs.</summary>
    PassResult Pass(SchedulingContext context, QueuedJob[] order, Estimate[][] options, ClassOutlook outlook, HashSet<QueuedJob> given,
        int limit, bool explain)
    {
        var now = context.Now;
        var book = new Availability(context);
        var result = new PassResult();
        var placements = result.Placements;
        var late = new List<int>();
        var someBusy = context.Free.Count < context.Workers.Count;
        for (var i = 0; i < limit; i++)
        {
            var job = order[i];
            if (job.Urgency < 0 || given.Contains(job)) { late.Add(i); continue; }
            var deadline = job.Job.DeadlineSeconds;
            Option? best = null, earliest = null;
            foreach (var estimate in options[i])
            {
                if (!book.Peek(estimate.Class, out var worker, out var start)) continue;
                var finish = start + estimate.Seconds;
                if (finish > deadline) continue;
                var option = new Option(estimate, worker, start, finish, Cost(estimate, start, now, outlook.Prices));
                if (earliest is null || finish < earliest.Value.Finish) earliest = option;
                if (finish + _settings.Margin * (finish - now) > deadline) continue;
                if (best is null || option.Cost < best.Value.Cost || (option.Cost == best.Value.Cost && finish < best.Value.Finish)) best = option;
            }
            if ((best ?? earliest) is not { } choice)
            {
                if (result.Missed < 0) result.Missed = i;
                late.Add(i);
                continue;
            }
            // A burst may be arriving: a fresh job that can afford it waits a moment, leaving its worker to the others.
            if (choice.Start <= now && now - job.Job.ArrivalSeconds < _settings.HoldSeconds && someBusy
                && deadline - choice.Finish > _settings.HoldSlack + _settings.HoldSeconds)
            {
                result.Feasible++;
                if (explain) job.WaitReason = $"held {F(_settings.HoldSeconds - (now - job.Job.ArrivalSeconds))} s more while a burst may be arriving; "
                    + $"{context.Workers[choice.Worker].Worker.Name} would still finish it {F(deadline - choice.Finish)} s before its deadline";
                continue;
            }
            // Tight jobs are expected on its worker's class: a long, lax job that can start later leaves the worker to them.
            if (choice.Start <= now && someBusy && deadline - choice.Finish > _settings.DeferSlack * choice.Estimate.Seconds
                && outlook.Demand[choice.Estimate.Class] * choice.Estimate.Seconds >= _settings.DeferDemand)
            {
                result.Feasible++;
                if (explain) job.WaitReason = $"deferred: {F(outlook.Demand[choice.Estimate.Class] * choice.Estimate.Seconds)} jobs per worker "
                    + $"of {context.Workers[choice.Worker].Worker.Name}'s class that it could serve in time are expected during its "
                    + $"{F(choice.Estimate.Seconds)} s run; it could start up to {F(deadline - choice.Finish)} s later";
                continue;
            }
            result.Feasible++;
            result.Planned.Add((i, job, choice.Estimate.Class, choice.Estimate.Seconds));
            book.Reserve(choice.Estimate.Class, choice.Finish, job);
            if (!explain) continue;
            if (choice.Start <= now && context.Workers[choice.Worker].IsFree)
                placements.Add(new Placement(job, choice.Worker, choice.Estimate.Config, choice.Estimate.Seconds,
                    WhyNow(job, choice, earliest!.Value, best is null, book, context, outlook.Prices)));
            else job.WaitReason = WhyWait(job, options[i], choice, book, context);
        }
        if (!explain) return result;
        foreach (var i in late)
        {
            var job = order[i];
            if (job.Urgency >= 0)
            {
                job.WaitReason = given.Contains(job)
                    ? "given up for shorter jobs that can then make their deadlines; waits until its own is lost"
                    : "no worker can finish it in time behind the jobs planned before it; waits until its deadline is lost";
                continue;
            }
            // Deadline lost: the excess is all that is left to save, on the free worker that finishes it soonest among
            // those the plan leaves idle (never one planned for a job that can still make it).
            Option? best = null;
            foreach (var estimate in options[i])
            {
                if (!book.Peek(estimate.Class, out var worker, out var start) || start > now || !context.Workers[worker].IsFree) continue;
                var option = new Option(estimate, worker, now, now + estimate.Seconds, estimate.Seconds);
                if (best is null || option.Cost < best.Value.Cost) best = option;
            }
            if (best is not { } choice)
            {
                job.WaitReason = "deadline already lost; every worker that can run it is busy or planned for jobs that can still make theirs";
                continue;
            }
            book.Reserve(choice.Estimate.Class, choice.Finish, job);
            placements.Add(new Placement(job, choice.Worker, choice.Estimate.Config, choice.Estimate.Seconds,
                $"no worker can meet the deadline (short by {F(-job.Urgency)} s); fastest free worker no job that can still make it needs"));
        }
        return result;
    }

    double Cost(Estimate estimate, double start, double now, double[] prices) =>
        estimate.Seconds * prices[estimate.Class] + _settings.WaitWeight * (start - now);

    /// <summary>Every class that can run the job, each in the shorter of its c* and its default configuration.</summary>
    static Estimate[] Estimates(QueuedJob job)
    {
        var estimates = new Estimate[job.FastestFirst.Count];
        for (var i = 0; i < estimates.Length; i++)
        {
            var estimate = job.FastestFirst[i];
            estimates[i] = job.Defaults.Count > estimate.Class && job.Defaults[estimate.Class] is { } standard && standard.Seconds < estimate.Seconds
                ? standard : estimate;
        }
        return estimates;
    }

    /// <summary>Jobs that can still make it first, earliest deadline first (the order that meets the most deadlines on one
    /// worker); ties by arrival, then id, so that the order never depends on the queue's (a dispatcher queues offers in
    /// the order they come). Sets each job's urgency (slack on its fastest class).</summary>
    static QueuedJob[] Order(IReadOnlyList<QueuedJob> jobs, double now)
    {
        var ordered = new QueuedJob[jobs.Count];
        var keys = new OrderKey[jobs.Count];
        for (var i = 0; i < ordered.Length; i++)
        {
            var job = ordered[i] = jobs[i];
            job.Urgency = job.Job.QosSeconds - (now - job.Job.ArrivalSeconds) - job.FastestFirst[0].Seconds;
            keys[i] = new OrderKey(job.Urgency < 0, job.Job.DeadlineSeconds, job.Job.ArrivalSeconds, job.Job.Id);
        }
        Array.Sort(keys, ordered);
        return ordered;
    }

    readonly record struct OrderKey(bool Late, double Deadline, double Arrival, string Id) : IComparable<OrderKey>
    {
        public int CompareTo(OrderKey other)
        {
            if (Late != other.Late) return Late ? 1 : -1;
            if (Deadline != other.Deadline) return Deadline < other.Deadline ? -1 : 1;
            if (Arrival != other.Arrival) return Arrival < other.Arrival ? -1 : 1;
            return string.CompareOrdinal(Id, other.Id);
        }
    }

    /// <summary>Per class, what the round expects of it: its price, and the arrivals it could serve in time per second
    /// per worker.</summary>
    sealed record ClassOutlook(double[] Prices, double[] Demand);

    /// <summary>Each class's price: 1 + weight × (its share of the remembered deadlines ÷ its share of the workers); and its
    /// demand: the remembered jobs' arrival rate × its share of their deadlines ÷ its workers.</summary>
    ClassOutlook Outlook(SchedulingContext context)
    {
        var classes = context.Free.ClassCount;
        var prices = new double[classes];
        var demand = new double[classes];
        var members = 0;
        for (var c = 0; c < classes; c++) members += context.Free.Members(c);
        var span = _arrivals.Count > 1 ? context.Now - _arrivals.Min() : 0;
        var rate = span > 0 ? _arrivals.Count / span : 0;
        for (var c = 0; c < classes; c++)
        {
            var share = _remembered > 0 && c < _need.Length ? _need[c] / _remembered : 0;
            var capacity = members > 0 ? (double)context.Free.Members(c) / members : 1;
            prices[c] = 1 + _settings.ScarcityWeight * (capacity > 0 ? share / capacity : 0);
            demand[c] = context.Free.Members(c) > 0 ? rate * share / context.Free.Members(c) : 0;
        }
        return new ClassOutlook(prices, demand);
    }

    /// <summary>Remembers which classes could meet a placed job's deadline had it started on arrival.</summary>
    void Learn(QueuedJob job)
    {
        _arrivals.Enqueue(job.Job.ArrivalSeconds);
        while (_arrivals.Count > _settings.Memory) _arrivals.Dequeue();
        var feasible = 0;
        foreach (var estimate in Estimates(job)) if (estimate.Seconds <= job.Job.QosSeconds) feasible++;
        var decay = 1 - 1.0 / _settings.Memory;
        for (var c = 0; c < _need.Length; c++) _need[c] *= decay;
        _remembered = _remembered * decay + 1;
        if (feasible == 0) return;
        foreach (var estimate in Estimates(job))
        {
            if (estimate.Seconds > job.Job.QosSeconds) continue;
            if (estimate.Class >= _need.Length) Array.Resize(ref _need, estimate.Class + 1);
            _need[estimate.Class] += 1.0 / feasible;
        }
    }

    string WhyNow(QueuedJob job, Option choice, Option earliest, bool unsafeOnly, Availability book, SchedulingContext context, double[] prices)
    {
        var worker = context.Workers[choice.Worker].Worker.Name;
        var slack = job.Job.DeadlineSeconds - choice.Finish;
        if (unsafeOnly) return $"only {worker} can still finish it in time, {F(slack)} s before its deadline (no safety margin left)";
        if (earliest.Estimate.Class == choice.Estimate.Class)
            return $"{worker} finishes it soonest, {F(slack)} s before its deadline (T_est {F(choice.Estimate.Seconds)} s)";
        var faster = earliest.Estimate.Class;
        if (book.KeptFor(faster) is { } other && other != job)
            return $"kept {context.Workers[earliest.Worker].Worker.Name} free for {other.Job.Id}, due in {F(other.Job.DeadlineSeconds - context.Now)} s; "
                + $"{worker} still finishes it {F(slack)} s before its deadline";
        return $"{worker} still finishes it {F(slack)} s before its deadline; {context.Workers[earliest.Worker].Worker.Name} would finish it "
            + $"{F(choice.Finish - earliest.Finish)} s sooner but is kept for tighter deadlines (price {F(prices[faster])} vs {F(prices[choice.Estimate.Class])})";
    }

    static string WhyWait(QueuedJob job, Estimate[] options, Option choice, Availability book, SchedulingContext context)
    {
        var worker = context.Workers[choice.Worker].Worker.Name;
        var wait = choice.Start - context.Now;
        var free = book.BestFreeFinish(options, context);
        return free is { } f
            ? $"waiting {F(wait)} s for {worker}, which finishes it {F(f - choice.Finish)} s sooner than the best free worker"
            : $"waiting {F(wait)} s for {worker}, which still finishes it {F(job.Job.DeadlineSeconds - choice.Finish)} s before its deadline";
    }

    static string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture);

    readonly record struct Option(Estimate Estimate, int Worker, double Start, double Finish, double Cost);

    /// <summary>The plan's scratch: per class, its workers by when they are next available (free: now; busy: when the
    /// running job is expected to end, or — once overdue — as long again as it has overrun), and which job the plan
    /// gave each free worker.</summary>
    sealed class Availability
    {
        readonly PriorityQueue<int, (double At, int Worker)>[] _byClass;
        readonly Dictionary<int, QueuedJob> _keptFor = [];
        readonly double _now;

        public Availability(SchedulingContext context)
        {
            _now = context.Now;
            _byClass = new PriorityQueue<int, (double, int)>[context.Free.ClassCount];
            for (var c = 0; c < _byClass.Length; c++) _byClass[c] = new();
            foreach (var worker in context.Workers)
            {
                if (worker.Class >= _byClass.Length) continue;
                var at = worker.IsFree ? _now
                    : worker.ExpectedFreeAt > _now ? worker.ExpectedFreeAt
                    : _now + Math.Max(_now - worker.ExpectedFreeAt, 1e-6);
                _byClass[worker.Class].Enqueue(worker.Index, (at, worker.Index));
            }
        }

        public bool Peek(int @class, out int worker, out double at)
        {
            if (@class < _byClass.Length && _byClass[@class].TryPeek(out worker, out var key)) { at = key.At; return true; }
            worker = -1;
            at = 0;
            return false;
        }

        public void Reserve(int @class, double until, QueuedJob job)
        {
            var queue = _byClass[@class];
            queue.TryPeek(out _, out var key);
            var worker = queue.Dequeue();
            if (key.At <= _now) _keptFor[@class] = job;
            queue.Enqueue(worker, (until, worker));
        }

        /// <summary>The job the plan last gave a free worker of the class to, if any.</summary>
        public QueuedJob? KeptFor(int @class) => _keptFor.GetValueOrDefault(@class);

        public double? BestFreeFinish(Estimate[] options, SchedulingContext context)
        {
            double? best = null;
            foreach (var estimate in options)
                if (Peek(estimate.Class, out var worker, out var at) && at <= _now && context.Workers[worker].IsFree)
                    best = Math.Min(best ?? double.PositiveInfinity, _now + estimate.Seconds);
            return best;
        }
    }
}
