namespace SynergAI.Grains;

/// <summary>Hears a job's changes as they happen (see <see cref="IJobGrain.Watch"/>): every change of state or attempt,
/// after it is stored, in the order of <see cref="JobChange.Sequence"/>. Delivery is best effort (one-way messages): a
/// watcher that sees a gap in the sequence, or nothing for a while, asks <see cref="IJobGrain.Changes"/> for what it
/// missed.</summary>
[Alias("synergai.IJobObserver")]
public interface IJobObserver : IGrainObserver
{
    /// <summary>The job changed.</summary>
    [Alias("OnChanged"), Orleans.Concurrency.OneWay] Task OnChanged(JobChange change);
}
