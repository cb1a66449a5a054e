using SynergAI.Grains.Persistence;

namespace SynergAI.Grains.Coordination;

/// <summary>
/// The shards' periodic check of their own books against the jobs' records (the truth): an acknowledged job that is
/// waiting but that no shard holds (its shard died between a job's write and a rebuild, or a round was cut short), and
/// an attempt recorded on a worker that does not run it (the start or the end was lost with a silo). Plain data in, the
/// suspects out; the shard confirms each with the job's own grain before acting, because the rows may lag behind.
/// </summary>
public static class AntiEntropy
{
    public enum Finding
    {
        /// <summary>Recorded as waiting, held by no shard: it goes back into its shard's queue.</summary>
        NotHeld,
        /// <summary>Recorded as dispatched to or running on a worker that runs something else (or nothing): the attempt
        /// is lost, and the job queues itself again.</summary>
        NotRunning,
    }

    public sealed record Suspect(string Job, Finding Finding, int Attempt, string? Worker);

    /// <param name="rows">The unfinished jobs of the shard's pool that hash to the shard.</param>
    /// <param name="held">Whether the shard holds the job (queued or offered to the dispatcher).</param>
    /// <param name="runs">What a worker runs, as its own grain says: (job, attempt), or null when it runs nothing.</param>
    /// <param name="grace">How long a dispatched attempt may go unconfirmed by its worker: a start in flight, or a
    /// worker grain that moved silo and waits for its run's heartbeats.</param>
    public static List<Suspect> Find(IEnumerable<JobHistoryRow> rows, Func<string, bool> held,
        IReadOnlyDictionary<string, (string Job, int Attempt)?> runs, DateTimeOffset now, TimeSpan grace)
    {
        var suspects = new List<Suspect>();
        foreach (var row in rows)
        {
            switch (row.State)
            {
                case JobState.Submitted or JobState.Queued when !held(row.Job):
                    suspects.Add(new Suspect(row.Job, Finding.NotHeld, row.Attempts, null));
                    break;
                case JobState.Dispatched or JobState.Running when row.Worker is { } worker
                    && now - (row.StartedAt ?? row.DispatchedAt ?? row.SubmittedAt) > grace
                    && runs.TryGetValue(worker, out var run) && run != (row.Job, row.Attempts):
                    suspects.Add(new Suspect(row.Job, Finding.NotRunning, row.Attempts, worker));
                    break;
            }
        }
        return suspects;
    }

    /// <summary>The suspect to act on, judged by the job's own record: the row's finding if the record still shows it;
    /// else what the record itself shows (the row lags behind when a silo died between the record's write and the
    /// row's, e.g. right after a dispatch: a job dispatched to a worker that never took it would stay so); else none.</summary>
    public static Suspect? Recheck(Suspect suspect, JobStatus? status, IReadOnlyDictionary<string, (string Job, int Attempt)?> runs,
        DateTimeOffset now, TimeSpan grace)
    {
        if (status is null) return null;
        if (Confirmed(suspect, status)) return suspect;
        return status.State is JobState.Dispatched or JobState.Running
               && Find([JobHistoryRow.Of(status)], _ => true, runs, now, grace) is [var fresh] ? fresh : null;
    }

    /// <summary>Whether the job's own status still shows what the row showed.</summary>
    public static bool Confirmed(Suspect suspect, JobStatus? status) => suspect.Finding switch
    {
        Finding.NotHeld => status is { State: JobState.Submitted or JobState.Queued },
        Finding.NotRunning => status is { State: JobState.Dispatched or JobState.Running } && status.Attempts == suspect.Attempt
                              && status.Worker == suspect.Worker,
        _ => false,
    };
}
