namespace SynergAI.Scheduling.Pool;

/// <summary>One worker of a pool as another copy of the pool needs it to plan exactly alike: what it runs, its class
/// (workers with equal <paramref name="ProfileKey"/> share their estimates), and its state with the times the
/// policies look at.</summary>
public sealed record WorkerSnapshot(string Name, string[] Engines, double Strength, string ProfileKey, string? RunningJob,
    double ExpectedFreeAt, double LastFreeAt);
