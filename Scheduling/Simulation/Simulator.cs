using System.Globalization;
using MathNet.Numerics.Distributions;
using SynergAI.Scheduling.Forecast;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Scheduling.Simulation;

/// <summary>
/// Discrete-event simulation of a trace on a testbed under a policy, on a virtual clock, around a <see cref="PoolBook"/>.
/// Events are arrivals, completions and periodic re-evaluations; at each event time completions are applied first, then
/// arrivals, then one scheduling round. A job runs <c>T_pre + q/QPS</c> of the configuration it was placed in, times
/// its noise factor (and its worker's drift, if any). The forecast runs the same loop (<see cref="Advance"/>) from a
/// pool's current state.
/// </summary>
public static class Simulator
{
    public static IReadOnlyList<JobOutcome> Run(ConfigurationDictionary dictionary, IReadOnlyList<Job> trace,
        ISchedulingPolicy policy, SimulationOptions? options = null)
    {
        options ??= SimulationOptions.Default;
        var arrivals = trace.OrderBy(j => j.ArrivalSeconds).ToArray();
        var noise = NoiseFactors(trace, options);
        var book = new PoolBook(policy);
        for (var w = 0; w < dictionary.Workers.Count; w++)
            book.SetWorker(dictionary.Workers[w], dictionary.ClassOf(w).ToString(CultureInfo.InvariantCulture), dictionary.DefaultStrength(w));
        var drift = WorkerDrift.ByWorker(options.Drift, book);
        var learning = options.Learn ? new Learning(book, dictionary) : null;
        Func<QueuedJob, double, bool>? admit = options.Admission == AdmissionMode.Accept ? null : (job, now) =>
        {
            var keeps = PoolForecast.Predict(book, now, job, options.ReevaluationIntervalSeconds).KeepsPromises;
            job.BestEffort = Admission.FlagsBestEffort(options.Admission, keeps);
            return Admission.Admits(options.Admission, keeps);
        };
        var outcomes = Advance(book, arrivals, job => learning?.Estimate(job) ?? QueuedJob.Create(job, dictionary), running: [],
            start: double.PositiveInfinity, options.ReevaluationIntervalSeconds,
            (placement, now) => (learning?.Placed(placement) ?? placement.EstimateSeconds) * noise[placement.Job.Job.Id] * WorkerDrift.FactorAt(drift, placement.Worker, now),
            admit, learning is null ? null : learning.Completed);
        if (book.QueuedCount > 0)
            throw new InvalidOperationException($"policy '{policy.Name}' left {book.QueuedCount} jobs waiting with every worker idle");
        return outcomes;
    }

    /// <summary>
    /// Runs <paramref name="book"/> forward: the jobs of <paramref name="arrivals"/> (by arrival time) join it as they
    /// arrive, the workers of <paramref name="running"/> are busy until the given time with work that is not one of the
    /// book's placements, and a round is held at <paramref name="start"/> (+∞: first at the first event). Each placed job
    /// runs <paramref name="runSeconds"/>(placement, start time). An arriving job that <paramref name="admit"/> refuses
    /// never joins. Returns the placed jobs' outcomes in completion order; stops early (jobs left in the book's queue)
    /// when nothing more can happen.
    /// </summary>
    public static List<JobOutcome> Advance(PoolBook book, IReadOnlyList<Job> arrivals, Func<Job, QueuedJob> queue,
        IEnumerable<(int Worker, double FreeAt)> running, double start, double reevaluationIntervalSeconds,
        Func<Placement, double, double> runSeconds, Func<QueuedJob, double, bool>? admit = null,
        Action<int, RunningPlacement, double>? completed = null)
    {
        if (!(reevaluationIntervalSeconds > 0) || double.IsInfinity(reevaluationIntervalSeconds))
            throw new ArgumentOutOfRangeException(nameof(reevaluationIntervalSeconds), $"the re-evaluation interval must be a positive number of seconds, got {reevaluationIntervalSeconds}");
        var completions = new PriorityQueue<int, (double Time, int Worker)>();
        foreach (var (worker, freeAt) in running) completions.Enqueue(worker, (freeAt, worker));
        var outcomes = new List<JobOutcome>(arrivals.Count + book.QueuedCount);
        var next = 0;
        var reevaluateAt = start;

        while (next < arrivals.Count || book.QueuedCount > 0 || completions.Count > 0)
        {
            var now = Math.Min(reevaluateAt, Math.Min(
                next < arrivals.Count ? arrivals[next].ArrivalSeconds : double.PositiveInfinity,
                completions.TryPeek(out _, out var c) ? c.Time : double.PositiveInfinity));
            if (double.IsPositiveInfinity(now)) break;

            while (completions.TryPeek(out var w, out var at) && at.Time <= now)
            {
                completions.Dequeue();
                if (book.Finish(w, at.Time) is not { } run) continue; // busy with something that was not placed here
                completed?.Invoke(w, run, at.Time);
                var job = run.Placement.Job;
                outcomes.Add(new JobOutcome(job.Job, book.Workers[w].Worker.Name, run.Placement.Config, run.Started, at.Time, run.Placement.Reason, job.WaitedFor, job.BestEffort));
            }
            while (next < arrivals.Count && arrivals[next].ArrivalSeconds <= now)
            {
                var job = queue(arrivals[next++]);
                if (admit is null || admit(job, now)) book.Arrive(job, now);
            }

            var placements = book.Plan(now);
            foreach (var placement in placements)
                completions.Enqueue(placement.Worker, (now + runSeconds(placement, now), placement.Worker));
            if (placements.Count == 0 && book.QueuedCount > 0 && completions.Count == 0 && next == arrivals.Count)
                break; // every worker idle and nothing placed: nothing more can happen
            // Waiting jobs can change places only as time passes (a deadline becoming unreachable), which matters
            // only while some worker is idle; otherwise the next arrival or completion re-evaluates.
            reevaluateAt = book.QueuedCount > 0 && book.HasFreeWorker
                ? now + reevaluationIntervalSeconds
                : double.PositiveInfinity;
        }
        return outcomes;
    }

    /// <summary>Profiles that learn, in the simulator: estimates are the profile's times the learned factor of their
    /// class, engine and configuration; each completed run is measured against the profile's own estimate, and when a
    /// factor moves, the waiting jobs are estimated again.</summary>
    sealed class Learning(PoolBook book, ConfigurationDictionary dictionary)
    {
        readonly ProfileCorrections _corrections = new();
        readonly Dictionary<int, double> _profileSeconds = [];

        string Key(int @class) => @class.ToString(CultureInfo.InvariantCulture);

        public QueuedJob Estimate(Job job) => Corrected(QueuedJob.Create(job, dictionary), job.Engine);

        QueuedJob Corrected(QueuedJob raw, string engine) => raw.WithEstimates(
            QueuedJob.SortFastestFirst([.. raw.FastestFirst.Select(e => e with { Seconds = e.Seconds * _corrections.Factor(Key(e.Class), engine, e.Config) })]),
            [.. raw.Defaults.Select(d => d is { } e ? e with { Seconds = e.Seconds * _corrections.Factor(Key(e.Class), engine, e.Config) } : (Estimate?)null)]);

        /// <summary>The profile's own estimate of a placement (what the run really takes before noise and drift).</summary>
        public double Placed(Placement placement)
        {
            var profile = placement.EstimateSeconds / _corrections.Factor(Key(book.Workers[placement.Worker].Class), placement.Job.Job.Engine, placement.Config);
            _profileSeconds[placement.Worker] = profile;
            return profile;
        }

        public void Completed(int worker, RunningPlacement run, double end)
        {
            var engine = run.Placement.Job.Job.Engine;
            var key = Key(book.Workers[worker].Class);
            if (!_corrections.Record(key, engine, run.Placement.Config, _profileSeconds[worker], end - run.Started)) return;
            // Every factor may have moved (the key-wide one with every run): the waiting jobs are estimated again.
            var waiting = book.Queue.ToList();
            book.ClearQueue();
            foreach (var job in waiting)
            {
                var corrected = Estimate(job.Job);
                book.Enqueue(job.WithEstimates([.. corrected.FastestFirst], [.. corrected.Defaults]), job.Order);
            }
        }
    }

    /// <summary>Each job's run-time noise factor for these options (1 for every job without noise).</summary>
    public static Dictionary<string, double> NoiseFactors(IReadOnlyList<Job> trace, SimulationOptions options)
    {
        if (options.Noise < 0 || !double.IsFinite(options.Noise))
            throw new ArgumentOutOfRangeException(nameof(options), $"noise must be a finite number ≥ 0, got {options.Noise}");
        var random = new Random(options.Seed);
        return trace.ToDictionary(j => j.Id, _ => options.Noise == 0 ? 1.0 : LogNormal.Sample(random, 0, options.Noise));
    }
}
