namespace SynergAI.Grains.Persistence;

/// <summary>
/// The order in which a job's statuses follow one another: by attempt number, and within one attempt Submitted,
/// Dispatched, Running, then Queued (the attempt failed) or finished. A job writes its own statuses in order, but
/// others may write one it showed earlier (the anti-entropy sweep brings a lagging row up to date with a status it
/// read a moment ago): a history keeps the latest in this order, so a row never moves back.
/// </summary>
public static class JobProgress
{
    public static int Within(JobState state) => state switch
    {
        JobState.Submitted => 0,
        JobState.Dispatched => 1,
        JobState.Running => 2,
        JobState.Queued => 3,
        _ => 4, // finished
    };

    /// <summary>Whether <paramref name="incoming"/> is no older than <paramref name="stored"/>.</summary>
    public static bool IsNoOlder(JobStatus incoming, JobStatus stored) =>
        (incoming.Attempts, Within(incoming.State)).CompareTo((stored.Attempts, Within(stored.State))) >= 0;

    /// <summary><see cref="Within"/> as SQL over a state column.</summary>
    public static string Sql(string column) =>
        $"CASE {column} {string.Join(" ", Enum.GetValues<JobState>().Select(s => $"WHEN '{s}' THEN {Within(s)}"))} END";
}
