using System.Threading.Channels;
using SynergAI.Grains;

namespace SynergAI.Client;

/// <summary>The client side of a watch: the observer the job's grain pushes its changes to. Changes arrive on a channel
/// that the watch reads in sequence order.</summary>
internal sealed class JobWatcher : IJobObserver
{
    readonly Channel<JobChange> _changes = Channel.CreateUnbounded<JobChange>(new UnboundedChannelOptions { SingleReader = true });

    public Task OnChanged(JobChange change)
    {
        _changes.Writer.TryWrite(change);
        return Task.CompletedTask;
    }

    /// <summary>The next pushed change, or null when none came within <paramref name="wait"/>.</summary>
    public async Task<JobChange?> NextAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_changes.Reader.TryRead(out var ready)) return ready;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            return await _changes.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
