using System.Globalization;
using System.Text;

namespace SynergAI.Grains;

/// <summary>Which jobs of a pool to list (<see cref="IJobQueryGrain.Query"/>): filters by state, engine and submission
/// time, a page at a time, oldest submission first. Null filters match everything.</summary>
/// <param name="Pool">The pool.</param>
/// <param name="States">Only jobs in one of these states; null or empty: any state.</param>
/// <param name="Engine">Only jobs of this engine.</param>
/// <param name="SubmittedFrom">Only jobs submitted at or after this time.</param>
/// <param name="SubmittedBefore">Only jobs submitted before this time.</param>
/// <param name="PageSize">At most this many jobs per page (1 to <see cref="MaxPageSize"/>).</param>
/// <param name="ContinuationToken">The previous page's <see cref="JobPage.ContinuationToken"/>; null: the first page.</param>
[GenerateSerializer, Immutable, Alias("synergai.JobQuery")]
public sealed record JobQuery(
    [property: Id(0)] string Pool = "default",
    [property: Id(1)] IReadOnlyList<JobState>? States = null,
    [property: Id(2)] string? Engine = null,
    [property: Id(3)] DateTimeOffset? SubmittedFrom = null,
    [property: Id(4)] DateTimeOffset? SubmittedBefore = null,
    [property: Id(5)] int PageSize = 100,
    [property: Id(6)] string? ContinuationToken = null)
{
    /// <summary>The largest page a query may ask for.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Why the query is invalid, or null when it is fine.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Pool) ? "pool must not be empty"
        : PageSize is < 1 or > MaxPageSize ? $"page size must be 1-{MaxPageSize}, got {PageSize}"
        : SubmittedFrom is { } from && SubmittedBefore is { } before && before <= from ? $"the time range is empty ({from:O} to {before:O})"
        : ContinuationToken is { } token && ParseToken(token) is null ? "the continuation token is not one this pool gave out"
        : null;

    /// <summary>Whether <paramref name="job"/> passes the filters (not the page position).</summary>
    public bool Matches(JobStatus job) =>
        job.Pool == Pool
        && (States is not { Count: > 0 } || States.Contains(job.State))
        && (Engine is null || job.Spec.Engine == Engine)
        && (SubmittedFrom is not { } from || job.SubmittedAt >= from)
        && (SubmittedBefore is not { } before || job.SubmittedAt < before);

    /// <summary>The page position after <paramref name="last"/>: jobs are ordered by submission time, then id.</summary>
    public static string TokenAfter(JobStatus last) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.SubmittedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{last.Id}"));

    /// <summary>The submission time and id a token continues after, or null for a malformed token.</summary>
    public static (DateTimeOffset SubmittedAt, string Id)? ParseToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var bar = text.IndexOf('|');
            if (bar <= 0 || !long.TryParse(text[..bar], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks) return null;
            return (new DateTimeOffset(ticks, TimeSpan.Zero), text[(bar + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="job"/> comes after the page position <paramref name="after"/>.</summary>
    public static bool IsAfter(JobStatus job, (DateTimeOffset SubmittedAt, string Id) after) =>
        job.SubmittedAt.UtcTicks > after.SubmittedAt.UtcTicks
        || job.SubmittedAt.UtcTicks == after.SubmittedAt.UtcTicks && string.CompareOrdinal(job.Id, after.Id) > 0;
}

/// <summary>One page of a job listing: the jobs, oldest submission first, and the token for the next page (null when
/// this is the last).</summary>
[GenerateSerializer, Immutable, Alias("synergai.JobPage")]
public sealed record JobPage(
    [property: Id(0)] IReadOnlyList<JobStatus> Jobs,
    [property: Id(1)] string? ContinuationToken);
