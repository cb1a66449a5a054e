namespace SynergAI.Scheduling.Pool;

/// <summary>Queues kept in arrival order (a number that only grows): where an entry is or would go, by binary search.</summary>
public static class ArrivalOrder
{
    public static int Position<T>(IReadOnlyList<T> queue, long order, Func<T, long> orderOf)
    {
        int low = 0, high = queue.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (orderOf(queue[mid]) < order) low = mid + 1; else high = mid;
        }
        return low;
    }
}
