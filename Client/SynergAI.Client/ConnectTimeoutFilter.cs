using Microsoft.Extensions.Options;
using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>Gives up connecting after <see cref="SynergAiClientOptions.ConnectTimeout"/> (Orleans would retry for
/// good), failing the host's start with <see cref="ClusterUnreachableException"/>.</summary>
internal sealed class ConnectTimeoutFilter(IOptions<SynergAiClientOptions> options, TimeProvider time) : IClientConnectionRetryFilter
{
    readonly DateTimeOffset _started = time.GetUtcNow(); // the filter is made when the client starts connecting

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        if (now - _started >= o.ConnectTimeout)
            throw new ClusterUnreachableException(SynergAiClient.Where(null, o),
                $"no connection within {o.ConnectTimeout.TotalSeconds:0.#} s; last: {exception.GetType().Name}: {exception.Message.TrimEnd('.')}",
                exception);
        await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
        return true;
    }
}
