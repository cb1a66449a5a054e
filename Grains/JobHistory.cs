using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;
using SynergAI.Grains.Persistence;

namespace SynergAI.Grains;

/// <summary>Where each job's latest status is copied for people to query after the job's grain is gone. The job's
/// grain state stays the truth; a copy that cannot be written is logged, not retried forever.</summary>
public interface IJobHistory
{
    Task RecordAsync(JobStatus status);
}

/// <summary>The embedded default: no history beyond the pool's recent jobs.</summary>
public sealed class NoJobHistory : IJobHistory
{
    public Task RecordAsync(JobStatus status) => Task.CompletedTask;
}

/// <summary>The <c>synergai_job_history</c> table (see <see cref="PostgresJobHistory"/>): one row per job, upserted at
/// every change of state, never moved back to an older attempt.</summary>
public sealed class PostgresJobHistorySink(NpgsqlDataSource dataSource, ILogger<PostgresJobHistorySink> log) : IJobHistory
{
    readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddTimeout(ResilientGrainStorage.RetryFor)
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ResilientGrainStorage.IsTransient),
            MaxRetryAttempts = int.MaxValue, // bounded by the timeout
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    public async Task RecordAsync(JobStatus status)
    {
        try
        {
            await _retry.ExecuteAsync(async token => await PostgresJobHistory.UpsertAsync(dataSource, status, token));
        }
        catch (Exception e)
        {
            log.LogWarning(e, "job history: could not record {Job} ({State})", status.Id, status.State);
        }
    }
}
