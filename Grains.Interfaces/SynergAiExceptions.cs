namespace SynergAI.Grains;

// The control plane's refusals, typed so that a caller can tell them apart without reading messages. They are thrown by
// the grains and cross the wire with their properties ([GenerateSerializer] on each, explicit ids); the SDK adds
// ClusterUnreachableException for outages that outlast its retries. Bad arguments (an empty engine, an all-digit id, a
// negative query count) stay ArgumentException, as everywhere in .NET.

/// <summary>The base of every error the SynergAI control plane or its SDK reports on purpose: catch it to handle them
/// all. <see cref="IsTransient"/> says whether the same call may succeed later unchanged.</summary>
[GenerateSerializer, Alias("synergai.SynergAiException")]
public class SynergAiException : Exception
{
    /// <summary>Creates the error with its one-line message.</summary>
    public SynergAiException(string message) : base(message) { }

    /// <summary>Creates the error with its one-line message and the failure that caused it.</summary>
    public SynergAiException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>True when the same call may succeed later unchanged (the cluster or the pool was not ready); false when
    /// the caller must change something first.</summary>
    public virtual bool IsTransient => false;
}

/// <summary>A job with this id already exists with another spec or in another pool: submitting is idempotent only for
/// the same id, spec and pool. Submit under another id.</summary>
[GenerateSerializer, Alias("synergai.JobConflictException")]
public sealed class JobConflictException : SynergAiException
{
    /// <summary>Creates the error for job <paramref name="jobId"/>, which exists with <paramref name="existingSpec"/> in
    /// <paramref name="existingPool"/>.</summary>
    public JobConflictException(string jobId, JobSpec existingSpec, string existingPool)
        : base($"job '{jobId}' already exists with another spec ({existingSpec.Engine}, {existingSpec.Queries} queries, " +
               $"qos {existingSpec.QosSeconds} s, pool '{existingPool}'); submit under another id")
    {
        JobId = jobId;
        ExistingSpec = existingSpec;
        ExistingPool = existingPool;
    }

    /// <summary>The id that is taken.</summary>
    [Id(0)] public string JobId { get; private set; }

    /// <summary>The spec the existing job was submitted with.</summary>
    [Id(1)] public JobSpec ExistingSpec { get; private set; }

    /// <summary>The pool the existing job was submitted to.</summary>
    [Id(2)] public string ExistingPool { get; private set; }
}

/// <summary>No job has this id (never submitted, or it was lost with an in-memory silo that restarted).</summary>
[GenerateSerializer, Alias("synergai.UnknownJobException")]
public sealed class UnknownJobException : SynergAiException
{
    /// <summary>Creates the error for <paramref name="jobId"/>.</summary>
    public UnknownJobException(string jobId)
        : base($"unknown job '{jobId}' (never submitted, or lost with an in-memory silo that restarted)") => JobId = jobId;

    /// <summary>The id no job has.</summary>
    [Id(0)] public string JobId { get; private set; }
}

/// <summary>No worker of the pool can run this engine; <see cref="KnownEngines"/> lists those some worker can.</summary>
[GenerateSerializer, Alias("synergai.UnknownEngineException")]
public sealed class UnknownEngineException : SynergAiException
{
    /// <summary>Creates the error for <paramref name="engine"/> in <paramref name="pool"/>, whose workers can run
    /// <paramref name="knownEngines"/>.</summary>
    public UnknownEngineException(string engine, string pool, IReadOnlyList<string> knownEngines)
        : base($"no worker in pool '{pool}' can run engine '{engine}'; known engines: {string.Join(", ", knownEngines)}")
    {
        Engine = engine;
        Pool = pool;
        KnownEngines = knownEngines;
    }

    /// <summary>The engine asked for.</summary>
    [Id(0)] public string Engine { get; private set; }

    /// <summary>The pool asked.</summary>
    [Id(1)] public string Pool { get; private set; }

    /// <summary>The engines some worker of the pool can run, in name order.</summary>
    [Id(2)] public IReadOnlyList<string> KnownEngines { get; private set; }
}

/// <summary>The pool has no workers (yet): it does not exist, or its workers have not registered again since the cluster
/// started. Transient: the SDK retries a submission for <c>SynergAiClientOptions.PoolReadyWait</c> before it reports it.</summary>
[GenerateSerializer, Alias("synergai.PoolNotReadyException")]
public sealed class PoolNotReadyException : SynergAiException
{
    /// <summary>Creates the error for <paramref name="pool"/>.</summary>
    public PoolNotReadyException(string pool)
        : base($"pool '{pool}' has no workers (yet): it does not exist, or its workers have not registered since the cluster started") =>
        Pool = pool;

    /// <summary>The pool without workers.</summary>
    [Id(0)] public string Pool { get; private set; }

    /// <inheritdoc/>
    public override bool IsTransient => true;
}

/// <summary>The pool refused to admit the job (for example: it predicts the deadline cannot be met); <see cref="Reason"/>
/// says why. Nothing was stored or queued.</summary>
[GenerateSerializer, Alias("synergai.AdmissionRefusedException")]
public sealed class AdmissionRefusedException : SynergAiException
{
    /// <summary>Creates the refusal of <paramref name="jobId"/> for <paramref name="reason"/>.</summary>
    public AdmissionRefusedException(string jobId, string reason) : base($"job '{jobId}' {reason}")
    {
        JobId = jobId;
        Reason = reason;
    }

    /// <summary>The job that was refused.</summary>
    [Id(0)] public string JobId { get; private set; }

    /// <summary>Why, in one line (e.g. <c>refused by admission control: the forecast finishes it …</c>).</summary>
    [Id(1)] public string Reason { get; private set; }
}

/// <summary>The cluster did not answer: no gateway could be reached, or calls kept failing or timing out until the SDK's
/// retries ran out. Transient: the same call may succeed once the cluster is back. <see cref="Exception.InnerException"/>
/// is the last failure seen.</summary>
[GenerateSerializer, Alias("synergai.ClusterUnreachableException")]
public sealed class ClusterUnreachableException : SynergAiException
{
    /// <summary>Creates the error for the cluster at <paramref name="where"/> (gateways, or where they are listed).</summary>
    public ClusterUnreachableException(string where, string detail, Exception? innerException = null)
        : base($"cannot reach the cluster at {where} — is the silo running? ({detail})", innerException) => Where = where;

    /// <summary>The gateways tried, or where they are listed.</summary>
    [Id(0)] public string Where { get; private set; }

    /// <inheritdoc/>
    public override bool IsTransient => true;
}
