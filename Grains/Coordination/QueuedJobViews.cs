using SynergAI.Scheduling;

namespace SynergAI.Grains.Coordination;

/// <summary>A queued entry as clients see it: its latest evaluation and why it waits (codes from
/// <see cref="WaitReasons"/>, the one place they are defined).</summary>
public static class QueuedJobViews
{
    public static QueuedJobView Of(PoolQueue.Entry e)
    {
        var (code, words) = e.Scheduled is { } s ? (s.WaitCode, s.WaitReason)
            : e.Unrunnable ? (WaitCode.NoWorkerForEngine, WaitReasons.Words(WaitCode.NoWorkerForEngine))
            : (WaitCode.BeingEstimated, WaitReasons.Words(WaitCode.BeingEstimated));
        return new QueuedJobView(e.Id, e.Spec.Engine, e.Attempts, e.Scheduled?.Urgency ?? double.NaN, e.Scheduled?.AcceptableWorkers ?? 0,
            words, WaitReasons.Name(code), e.Spec.Queries, e.Spec.QosSeconds, e.BestEffort);
    }
}
