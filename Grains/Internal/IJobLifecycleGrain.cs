using Orleans.Concurrency;

namespace SynergAI.Grains;

/// <summary>The control plane's calls on a job (key: the job id): the steps of its lifecycle, fenced by attempt number
/// and state so that a late or duplicate call changes nothing. They interleave with Submit and Cancel, so no call cycle
/// through a job can deadlock. Not part of the client contract: only the silo's own grains call these.</summary>
[Alias("synergai.IJobLifecycleGrain")]
public interface IJobLifecycleGrain : IGrainWithStringKey
{
    /// <summary>A worker is about to start the attempt; false if the job no longer wants it (cancelled, finished, or
    /// this attempt number is not newer than the last one).</summary>
    [Alias("OnDispatched"), AlwaysInterleave] Task<bool> OnDispatched(Dispatch dispatch);

    [Alias("OnRunning"), AlwaysInterleave] Task OnRunning(int attempt, DateTimeOffset at);

    /// <summary>The attempt ended. A success completes the job; a failure queues it again in its pool, or fails it for
    /// good after <c>SynergAI:MaxAttempts</c> failed attempts.</summary>
    [Alias("OnAttemptEnded"), AlwaysInterleave] Task OnAttemptEnded(int attempt, bool succeeded, DateTimeOffset at, string? error);
}
