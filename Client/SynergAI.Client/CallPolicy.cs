using Polly;
using Polly.Retry;
using Polly.Timeout;
using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>
/// The one retry policy of the SDK, applied to every call it makes (all of them idempotent: submissions always carry an
/// id, cancelling and registering twice is the same as once, reads change nothing):
/// <list type="bullet">
/// <item>an outage — no gateway, a silo that died, a call that timed out, a storage error — is retried with exponential
/// backoff (200 ms doubling to 2 s, with jitter) for <see cref="SynergAiClientOptions.RetryFor"/>, then reported as
/// <see cref="ClusterUnreachableException"/> with the last failure inside;</item>
/// <item>a pool without workers (<see cref="PoolNotReadyException"/>: right after the cluster started, before its workers
/// registered again) is retried every 500 ms for <see cref="SynergAiClientOptions.PoolReadyWait"/>, then reported;</item>
/// <item>any other refusal (<see cref="SynergAiException"/>), bad arguments (<see cref="ArgumentException"/>), a refused
/// configuration (<see cref="InvalidOperationException"/>) and cancellation are answers, reported at once.</item>
/// </list>
/// </summary>
internal sealed class CallPolicy
{
    readonly ResiliencePipeline _pipeline;
    readonly string _where;
    readonly TimeSpan _retryFor;

    public CallPolicy(SynergAiClientOptions options, string where)
    {
        _where = where;
        _retryFor = options.RetryFor;
        var builder = new ResiliencePipelineBuilder();
        if (options.RetryFor > TimeSpan.Zero)
            builder.AddTimeout(options.RetryFor).AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsOutage),
                MaxRetryAttempts = int.MaxValue, // bounded by the timeout around it
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(2),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        if (options.PoolReadyWait > TimeSpan.Zero)
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<PoolNotReadyException>(),
                MaxRetryAttempts = Math.Max(1, (int)(options.PoolReadyWait / PoolReadyDelay)),
                Delay = PoolReadyDelay,
                BackoffType = DelayBackoffType.Constant,
            });
        _pipeline = builder.Build();
    }

    static readonly TimeSpan PoolReadyDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Anything but an answer: the same call may succeed once the cluster is back.</summary>
    public static bool IsOutage(Exception e) =>
        e is not (SynergAiException { IsTransient: false } or PoolNotReadyException or ArgumentException or InvalidOperationException
            or OperationCanceledException);

    /// <summary>Makes <paramref name="call"/> under the policy; <paramref name="cancellationToken"/> stops the waiting.</summary>
    public async Task<T> Run<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        Exception? last = null;
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                try { return await call().WaitAsync(token); }
                catch (Exception e) when (IsOutage(e)) { last = e; throw; }
                catch (OperationCanceledException e) when (!token.IsCancellationRequested)
                {
                    // Cancelled by the cluster, not by the caller: e.g. an activation the runtime gave up on while a
                    // silo died. The same call may succeed once the cluster is back, like any other outage.
                    last = e;
                    throw new TimeoutException($"the cluster cancelled the call: {e.Message}", e);
                }
            }, cancellationToken);
        }
        catch (TimeoutRejectedException e)
        {
            throw new ClusterUnreachableException(_where, $"no answer within {_retryFor.TotalSeconds:0.#} s; last: {Describe(last ?? e)}", last ?? e);
        }
        catch (Exception e) when (IsOutage(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnreachableException(_where, Describe(e), e);
        }
    }

    public Task Run(Func<Task> call, CancellationToken cancellationToken) =>
        Run(async () => { await call(); return true; }, cancellationToken);

    static string Describe(Exception e)
    {
        while (e.InnerException is { } inner && e is AggregateException or TimeoutRejectedException) e = inner;
        return $"{e.GetType().Name}: {e.Message.TrimEnd('.')}";
    }
}
