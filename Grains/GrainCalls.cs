using Polly;
using Polly.Retry;

namespace SynergAI.Grains;

/// <summary>Calls to grains that must get through a silo's failure.</summary>
public static class GrainCalls
{
    /// <summary>Retries a grain call for about 10 s: long enough for a dead silo to be declared dead and its grains to
    /// come back on a survivor. Bad input and refusals are answers, not outages, and are not retried.</summary>
    static readonly ResiliencePipeline UntilDelivered = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => !IsAnswer(e)),
            MaxRetryAttempts = 8,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    /// <summary>Makes <paramref name="call"/> until it is delivered (see <see cref="UntilDelivered"/>). Every retry
    /// continues on the caller's scheduler: inside a grain, a retry that ran on a thread-pool thread could not reach the
    /// grain factory ("activation access violation"), and the call would be lost.</summary>
    public static async Task<T> UntilDeliveredAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        var context = ResilienceContextPool.Shared.Get(continueOnCapturedContext: true, cancellationToken);
        try
        {
            return await UntilDelivered.ExecuteAsync(async _ => await call(), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public static Task UntilDeliveredAsync(Func<Task> call, CancellationToken cancellationToken = default) =>
        UntilDeliveredAsync(async () => { await call(); return true; }, cancellationToken);

    /// <summary>Bad input and refusals are the callee's answer; anything else (a silo that cannot be reached, a timeout)
    /// says nothing about the call's outcome.</summary>
    public static bool IsAnswer(Exception e) => e is ArgumentException or InvalidOperationException or SynergAiException;

    public static TimeSpan Shorter(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
