namespace SynergAI.Grains.Coordination;

/// <summary>
/// When a worker may declare its running attempt lost and let the job run elsewhere: only once the run cannot be alive.
/// A run heartbeats its worker while its executor lives, and stops itself when its worker acknowledges nothing for
/// <see cref="SynergAiOptions.RunLease"/> (less than the heartbeat timeout). So silence for the whole timeout means
/// the run has stopped. A worker restored on another silo, whose executor does not run the attempt, may give up sooner
/// only when the silo that started the run is known to be gone: dead (or this very silo, whose executor does not
/// run it), so that nothing can heartbeat — it still waits a few heartbeat intervals for a report in flight.
/// </summary>
public static class LostAttempt
{
    /// <param name="restored">The worker's activation was restored with the attempt, and its executor does not run it,
    /// and has not heard from it since.</param>
    /// <param name="runSilo">The silo whose executor started the run; null when unknown (a record from before it was kept).</param>
    /// <param name="thisSilo">The silo of the worker's activation.</param>
    /// <param name="isDead">Whether the membership says a silo is dead (or no longer knows it).</param>
    public static (TimeSpan Silence, bool WithItsSilo) Patience(bool restored, string? runSilo, string thisSilo, Func<string, bool> isDead,
        SynergAiOptions options)
    {
        var gone = restored && runSilo is not null && (runSilo == thisSilo || isDead(runSilo));
        return gone
            ? (GrainCalls.Shorter(options.HeartbeatInterval * 3, options.HeartbeatTimeout), true)
            : (options.HeartbeatTimeout, false);
    }
}
