using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Storage;
using Polly;
using Polly.Retry;

namespace SynergAI.Grains.Persistence;

/// <summary>
/// Grain storage that rides through a PostgreSQL restart or a dropped connection: each read, write and clear of the
/// inner storage is retried with backoff for up to <see cref="RetryFor"/> while the error is transient (no connection,
/// server shutting down or starting, too many connections). Other errors — an ETag conflict above all — surface at
/// once. A write whose commit happened but whose answer was lost fails its retry on the ETag; Orleans then fails the
/// grain call and the caller retries it (a narrow window, noted in the README).
/// </summary>
public sealed class ResilientGrainStorage(IGrainStorage inner, ILogger<ResilientGrainStorage> log) : IGrainStorage
{
    /// <summary>How long a storage call keeps retrying: long enough for a PostgreSQL restart.</summary>
    public static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(30);

    readonly ResiliencePipeline _pipeline = TransientRetry(log, "grain storage");

    /// <summary>Retries transient database errors with exponential backoff (100 ms doubling up to 2 s, jittered) for up
    /// to <see cref="RetryFor"/>, logging each retry as <c>{what} unavailable</c>.</summary>
    public static ResiliencePipeline TransientRetry(ILogger log, string what) => new ResiliencePipelineBuilder()
        .AddTimeout(RetryFor)
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = int.MaxValue, // bounded by the timeout above
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            OnRetry = args =>
            {
                Telemetry.SynergAiMetrics.StorageRetried(what);
                log.LogWarning("{What} unavailable ({Error}); retry {Attempt} in {Delay}",
                    what, args.Outcome.Exception?.GetBaseException().Message, args.AttemptNumber + 1, args.RetryDelay);
                return default;
            },
        })
        .Build();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        _pipeline.ExecuteAsync(async _ => await inner.ReadStateAsync(stateName, grainId, grainState)).AsTask();

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        _pipeline.ExecuteAsync(async _ => await inner.WriteStateAsync(stateName, grainId, grainState)).AsTask();

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        _pipeline.ExecuteAsync(async _ => await inner.ClearStateAsync(stateName, grainId, grainState)).AsTask();

    /// <summary>Connection-level trouble, judged on the innermost PostgreSQL or socket error.</summary>
    public static bool IsTransient(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case InconsistentStateException:
                    return false;
                case PostgresException p:
                    // 08: connection exception; 53: insufficient resources; 57P01-57P03: shutdown, crash, cannot connect now.
                    return p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || p.SqlState is "57P01" or "57P02" or "57P03";
                case NpgsqlException n when n.IsTransient:
                case SocketException:
                case TimeoutException:
                    return true;
            }
        }
        return false;
    }
}
