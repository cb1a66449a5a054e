namespace SynergAI.Client;

/// <summary>A submission was cancelled (or timed out) after its id was chosen: the job may or may not have been
/// accepted. Look it up (<see cref="ISynergAiClient.GetAsync"/>) or cancel it (<see cref="ISynergAiClient.CancelAsync"/>)
/// by <see cref="JobId"/>; submitting the same spec under the same id again is safe.</summary>
public sealed class JobSubmissionCancelledException : OperationCanceledException
{
    /// <summary>Creates the exception for <paramref name="jobId"/>.</summary>
    public JobSubmissionCancelledException(string jobId, OperationCanceledException cancelled)
        : base($"submission of job '{jobId}' was cancelled; it may have been accepted — look it up by its id", cancelled,
            cancelled.CancellationToken) => JobId = jobId;

    /// <summary>The id the submission was sent under.</summary>
    public string JobId { get; }
}
