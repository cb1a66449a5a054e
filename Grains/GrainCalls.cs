using Polly;
using Polly.Retry;

namespace SynergAI.Grains;

/// <summary>Calls to grains that must get through a silo's failure.</summary>
public static class GrainCalls
{
    /// <summary>Retries a grain call for about 10 s: long enough for a dead silo to be declared dead and its grains to
    /// come back on a survivor. Bad input and refusals are answers, not outages, and are not retried.</summary>
    public static readonly ResiliencePipeline UntilDelivered = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (ArgumentException or InvalidOperationException)),
            MaxRetryAttempts = 8,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    public static TimeSpan Shorter(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
