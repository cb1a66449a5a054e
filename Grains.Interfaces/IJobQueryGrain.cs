namespace SynergAI.Grains;

/// <summary>Lists a pool's jobs from the job history in one call per page (key: 0; a stateless worker on every silo):
/// the table <c>synergai_job_history</c> on PostgreSQL, the silo's own record in memory (the embedded default, one
/// silo: the unfinished jobs and the latest 10,000 finished ones).</summary>
[Alias("synergai.IJobQueryGrain")]
public interface IJobQueryGrain : IGrainWithIntegerKey
{
    /// <summary>The page of jobs <paramref name="query"/> asks for.</summary>
    /// <exception cref="ArgumentException">The query is malformed (<see cref="JobQuery.Problem"/>).</exception>
    [Alias("Query")] Task<JobPage> Query(JobQuery query);
}
