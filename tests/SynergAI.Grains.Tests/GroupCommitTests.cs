using SynergAI.Grains.Persistence;

namespace SynergAI.Grains.Tests;

public class GroupCommitTests
{
    [Fact]
    public async Task An_item_alone_is_written_at_once_and_items_that_arrive_while_writers_are_busy_share_a_batch()
    {
        var batches = new List<IReadOnlyList<int>>();
        var release = new TaskCompletionSource();
        var commit = new GroupCommit<int>(async batch =>
        {
            lock (batches) batches.Add(batch);
            await release.Task;
        }, maxBatch: 3, maxConcurrent: 1);

        var first = commit.WriteAsync(0);
        await Until(() => batches.Count == 1);                  // written at once, alone
        var rest = Enumerable.Range(1, 5).Select(commit.WriteAsync).ToList();
        Assert.False(first.IsCompleted);                        // its batch is not written yet
        release.SetResult();
        await Task.WhenAll(rest.Append(first));

        Assert.Equal([[0], [1, 2, 3], [4, 5]], batches.Select(b => b.ToArray()));
    }

    [Fact]
    public async Task A_failed_batch_fails_its_own_items_only_and_later_items_are_written()
    {
        var commit = new GroupCommit<string>(batch =>
            batch.Contains("bad") ? Task.FromException(new InvalidOperationException("refused")) : Task.CompletedTask, maxConcurrent: 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => commit.WriteAsync("bad"));
        await commit.WriteAsync("good");
    }

    [Fact]
    public async Task No_more_than_the_allowed_batches_are_written_at_once()
    {
        int writing = 0, most = 0;
        var commit = new GroupCommit<int>(async _ =>
        {
            var now = Interlocked.Increment(ref writing);
            InterlockedMax(ref most, now);
            await Task.Delay(5);
            Interlocked.Decrement(ref writing);
        }, maxBatch: 2, maxConcurrent: 3);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(commit.WriteAsync));

        Assert.InRange(most, 1, 3);
    }

    static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
