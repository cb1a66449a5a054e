using SynergAI.Scheduling;

namespace SynergAI.Oracle;

/// <summary>A job in milliseconds with the ways it can run: on each worker that can run its engine, the
/// configuration with the shortest run time there. A longer configuration on the same worker can never do better
/// (it only ends later and holds the worker longer), so the other configurations are left out of the model.</summary>
internal sealed record JobChoices(Job Job, long ArrivalMs, long DeadlineMs, IReadOnlyList<Choice> Choices)
{
    const double Millis = 1000;

    /// <param name="factor">The job's run-time noise factor (1: its profiled time).</param>
    public static JobChoices Of(Job job, Testbed testbed, double factor)
    {
        var arrivalMs = (long)Math.Ceiling(job.ArrivalSeconds * Millis - 1e-6);
        var deadlineMs = (long)Math.Round(job.DeadlineSeconds * Millis);
        var choices = new List<Choice>();
        for (var w = 0; w < testbed.Workers.Count; w++)
        {
            var name = testbed.Workers[w].Name;
            var best = testbed.Profile.Where(p => p.Worker == name && p.Engine == job.Engine)
                .MinBy(p => (p.EstimateSeconds(job.Queries), p.Config), Comparer<(double, string)>.Create((a, b) =>
                    a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2)));
            if (best is null) continue;
            var run = best.EstimateSeconds(job.Queries) * factor;
            choices.Add(new Choice(w, best.Config, run, (long)Math.Ceiling(run * Millis - 1e-6),
                LatestOnTimeStart(job, run, arrivalMs)));
        }
        if (choices.Count == 0) throw new KeyNotFoundException($"job '{job.Id}': no worker has a profile for engine '{job.Engine}'");
        return new JobChoices(job, arrivalMs, deadlineMs, choices);
    }

    /// <summary>The last whole millisecond at which the job can start and still meet its QoS, judged exactly as
    /// <see cref="Scheduling.Simulation.JobOutcome.Violated"/> judges it; below the arrival when it cannot make it at all.</summary>
    static long LatestOnTimeStart(Job job, double run, long arrivalMs)
    {
        bool OnTime(long startMs) => !(startMs / Millis + run - job.ArrivalSeconds > job.QosSeconds);
        var latest = (long)Math.Floor((job.DeadlineSeconds - run) * Millis);
        while (latest >= arrivalMs && !OnTime(latest)) latest--;
        while (OnTime(latest + 1)) latest++;
        return Math.Max(latest, arrivalMs - 1);
    }
}

/// <summary>One way to run a job: on <paramref name="Worker"/> in <paramref name="Config"/>, for
/// <paramref name="RunSeconds"/>, which hold the worker <paramref name="DurationMs"/> whole milliseconds.</summary>
internal sealed record Choice(int Worker, string Config, double RunSeconds, long DurationMs, long LatestOnTimeStartMs);
