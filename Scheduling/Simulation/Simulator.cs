using System.Globalization;
using MathNet.Numerics.Distributions;
using SynergAI.Scheduling.Policies;
using SynergAI.Scheduling.Pool;

namespace SynergAI.Scheduling.Simulation;

/// <summary>
/// Discrete-event simulation of a trace on a testbed under a policy, on a virtual clock, around a <see cref="PoolBook"/>.
/// Events are arrivals, completions and periodic re-evaluations; at each event time completions are applied first, then
/// arrivals, then one scheduling round. A job runs <c>T_pre + q/QPS</c> of the configuration it was placed in, times
/// its noise factor.
/// </summary>
public static class Simulator
{
    public static IReadOnlyList<JobOutcome> Run(ConfigurationDictionary dictionary, IReadOnlyList<Job> trace,
        ISchedulingPolicy policy, SimulationOptions? options = null)
    {
        options ??= SimulationOptions.Default;
        if (!(options.ReevaluationIntervalSeconds > 0) || double.IsInfinity(options.ReevaluationIntervalSeconds))
            throw new ArgumentOutOfRangeException(nameof(options), $"the re-evaluation interval must be a positive number of seconds, got {options.ReevaluationIntervalSeconds}");
        var arrivals = trace.OrderBy(j => j.ArrivalSeconds).ToArray();
        var noise = NoiseFactors(trace, options);
        var book = new PoolBook(policy);
        for (var w = 0; w < dictionary.Workers.Count; w++)
            book.SetWorker(dictionary.Workers[w], dictionary.ClassOf(w).ToString(CultureInfo.InvariantCulture), dictionary.DefaultStrength(w));
        var completions = new PriorityQueue<int, (double Time, int Worker)>();
        var outcomes = new List<JobOutcome>(trace.Count);
        var next = 0;
        var reevaluateAt = double.PositiveInfinity;

        while (outcomes.Count < arrivals.Length)
        {
            var now = Math.Min(reevaluateAt, Math.Min(
                next < arrivals.Length ? arrivals[next].ArrivalSeconds : double.PositiveInfinity,
                completions.TryPeek(out _, out var c) ? c.Time : double.PositiveInfinity));

            while (completions.TryPeek(out var w, out var at) && at.Time <= now)
            {
                completions.Dequeue();
                var (placement, started, _) = book.Finish(w, at.Time)!;
                outcomes.Add(new JobOutcome(placement.Job.Job, book.Workers[w].Worker.Name, placement.Config, started, at.Time, placement.Reason));
            }
            while (next < arrivals.Length && arrivals[next].ArrivalSeconds <= now)
                book.Arrive(QueuedJob.Create(arrivals[next++], dictionary), now);

            var placements = book.Plan(now);
            foreach (var placement in placements)
                completions.Enqueue(placement.Worker, (now + placement.EstimateSeconds * noise[placement.Job.Job.Id], placement.Worker));
            if (placements.Count == 0 && book.QueuedCount > 0 && completions.Count == 0 && next == arrivals.Length)
                throw new InvalidOperationException($"policy '{policy.Name}' left {book.QueuedCount} jobs waiting with every worker idle");
            // Waiting jobs can change places only as time passes (a deadline becoming unreachable), which matters
            // only while some worker is idle; otherwise the next arrival or completion re-evaluates.
            reevaluateAt = book.QueuedCount > 0 && book.HasFreeWorker
                ? now + options.ReevaluationIntervalSeconds
                : double.PositiveInfinity;
        }
        return outcomes;
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
