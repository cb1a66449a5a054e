namespace SynergAI.Grains.Persistence;

/// <summary>
/// Writes items in batches shared by concurrent callers (group commit): each caller's task ends when the batch that
/// carries its item is written, or fails with that batch. At most <paramref name="maxConcurrent"/> batches are written
/// at once; items that arrive meanwhile gather for the next one, so under load one round trip and one commit carry
/// many items, while an item that comes alone is written at once. The writes run on the thread pool, never on the
/// caller's scheduler (a grain's turn must not carry other grains' writes).
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> write, int maxBatch = 256, int maxConcurrent = 4)
{
    readonly Lock _gate = new();
    readonly List<(T Item, TaskCompletionSource Written)> _waiting = [];
    int _writers;

    public Task WriteAsync(T item)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool startWriter;
        lock (_gate)
        {
            _waiting.Add((item, written));
            startWriter = _writers < maxConcurrent;
            if (startWriter) _writers++;
        }
        if (startWriter) _ = Task.Run(WriteWhileWaitingAsync);
        return written.Task;
    }

    async Task WriteWhileWaitingAsync()
    {
        while (true)
        {
            List<(T Item, TaskCompletionSource Written)> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _writers--;
                    return;
                }
                var count = Math.Min(maxBatch, _waiting.Count);
                batch = _waiting.GetRange(0, count);
                _waiting.RemoveRange(0, count);
            }
            try
            {
                await write([.. batch.Select(b => b.Item)]);
                foreach (var b in batch) b.Written.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var b in batch) b.Written.TrySetException(e);
            }
        }
    }
}
