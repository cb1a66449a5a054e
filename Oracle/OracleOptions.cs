namespace SynergAI.Oracle;

/// <param name="TimeLimitSeconds">Wall-clock budget for both stages of the solve together.</param>
/// <param name="Threads">CP-SAT search workers; 0 takes the machine's cores (at most 8). One worker makes a
/// time-limited solve repeatable.</param>
public sealed record OracleOptions(double TimeLimitSeconds = 10, int Threads = 0)
{
    public static readonly OracleOptions Default = new();
}
