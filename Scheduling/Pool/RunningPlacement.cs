using SynergAI.Scheduling.Policies;

namespace SynergAI.Scheduling.Pool;

/// <summary>A placement being run: since when, and what its worker expected before, so that it can be undone.</summary>
public sealed record RunningPlacement(Placement Placement, double Started, double PreviousExpectedFreeAt);
