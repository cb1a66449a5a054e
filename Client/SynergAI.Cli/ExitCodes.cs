namespace SynergAI.Cli;

/// <summary>The CLI's exit codes (README, "The command line"). A script can tell a job that met its deadline from one
/// that missed it, failed or was cancelled without parsing the output.</summary>
public static class ExitCodes
{
    /// <summary>Done; with <c>submit --wait</c>: the job completed within its deadline.</summary>
    public const int Ok = 0;
    /// <summary>Bad input, unknown pool, or any other error (one line on stderr). The cluster's typed refusals have 2-5
    /// (Cluster.ExitCodeOf).</summary>
    public const int Error = 1;
    /// <summary><c>submit --wait</c>: the job completed but missed its QoS deadline.</summary>
    public const int Violated = 10;
    /// <summary><c>submit --wait</c>: the job failed (every attempt).</summary>
    public const int Failed = 11;
    /// <summary><c>submit --wait</c>: the job was cancelled.</summary>
    public const int Cancelled = 12;
    /// <summary>Interrupted (Ctrl+C, SIGTERM); with <c>submit --wait</c> the job goes on in the cluster.</summary>
    public const int Interrupted = 130;
}
