namespace SynergAI.Grains;

/// <summary>
/// Serialises the state writes of a grain whose methods interleave: at most one <c>WriteStateAsync</c> is in flight
/// (two at once would fail on the storage's ETag check), and every caller that asks meanwhile shares the next write,
/// which stores the latest state. Runs on the grain's scheduler, so it needs no locks.
/// </summary>
public sealed class CoalescingWriter(Func<Task> write)
{
    Task? _running;
    TaskCompletionSource? _next;

    public Task WriteAsync()
    {
        if (_running is null)
        {
            _running = RunAsync();
            return _running;
        }
        _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _next.Task;
    }

    async Task RunAsync()
    {
        try
        {
            await write();
        }
        finally
        {
            var next = _next;
            _next = null;
            _running = next is null ? null : RunNextAsync(next);
        }
    }

    async Task RunNextAsync(TaskCompletionSource waiting)
    {
        try
        {
            await RunAsync();
            waiting.SetResult();
        }
        catch (Exception e)
        {
            waiting.SetException(e);
        }
    }
}
