using Orleans.Concurrency;
using SynergAI.Grains.Coordination;

namespace SynergAI.Grains;

/// <summary>Answers job listings from the job history, where they are indexed, instead of asking every job's grain.</summary>
[StatelessWorker, Reentrant]
public sealed class JobQueryGrain(IJobHistory history, PoolSettingsCache pools) : Grain, IJobQueryGrain
{
    public async Task<JobPage> Query(JobQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Problem() is { } problem) throw new ArgumentException(problem);
        // The history keeps real times; statuses report model seconds, for which they need the pool's time scale.
        var settings = await pools.GetAsync(query.Pool);
        return await history.QueryAsync(query, settings.TimeScale);
    }
}
