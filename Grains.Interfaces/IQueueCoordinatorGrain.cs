namespace SynergAI.Grains;

/// <summary>A pool of workers (key: the pool name, <c>default</c> unless configured): its settings, its queue as one
/// view, and administration. The queue itself is spread over shard grains; see docs/control-plane.md.</summary>
[Alias("synergai.IQueueCoordinatorGrain")]
public interface IQueueCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Settings, workers, the queue of every shard (arrival order) and the running count.</summary>
    [Alias("GetStatus")] Task<PoolStatus> GetStatus();

    /// <summary>Job ids the pool knows: queued, running and the most recent finished ones.</summary>
    [Alias("ListJobs")] Task<IReadOnlyList<string>> ListJobs();

    /// <summary>Changes the policy, time scale, re-evaluation interval or shard count; only while nothing is queued or
    /// running. <see cref="ArgumentException"/> for bad settings.</summary>
    [Alias("Configure")] Task<PoolSettings> Configure(PoolSettings settings);

    /// <summary>What submitting <paramref name="spec"/> now would bring (worker, configuration, start, finish, deadline
    /// met, tightest meetable deadline), by the pool's forecast. Changes nothing; <see cref="ArgumentException"/> for a
    /// bad spec.</summary>
    [Alias("Quote")] Task<JobQuote> Quote(JobSpec spec);

    /// <summary>Where and when each waiting job is predicted to run, and why it waits now.</summary>
    [Alias("Forecast")] Task<QueueForecast> Forecast();

    /// <summary>One full re-evaluation: every shard re-estimates its queued jobs and runs a policy round.</summary>
    [Alias("Reevaluate")] Task<ReevaluationTiming> Reevaluate();
}
