namespace SynergAI.Scheduling;

/// <summary>A fleet and its offline profile: the contents of a testbed folder (<c>workers.csv</c> + <c>profile.csv</c>).</summary>
public sealed record Testbed(IReadOnlyList<Worker> Workers, IReadOnlyList<ProfileEntry> Profile)
{
    public IEnumerable<string> Engines => Profile.Select(p => p.Engine).Distinct(StringComparer.Ordinal);
}
