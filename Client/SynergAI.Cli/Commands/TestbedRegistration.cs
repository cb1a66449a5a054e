using SynergAI.Client;
using SynergAI.Grains;
using SynergAI.Scheduling;

namespace SynergAI.Cli.Commands;

/// <summary>A testbed's workers and profile as grain contracts: the scheduling core's types stay out of the SDK.</summary>
internal static class TestbedRegistration
{
    public static WorkerSpec ToSpec(Worker worker) => new(worker.Name, worker.Arch, worker.Cpus, worker.MemoryGb, worker.DefaultConfig);

    public static ProfilePoint ToPoint(ProfileEntry entry) => new(entry.Engine, entry.Config, entry.Qps, entry.PreprocessSeconds);

    /// <summary>Registers every worker of <paramref name="testbed"/> with its profile rows in <paramref name="pool"/>, one
    /// after another in file order: a new pool's worker order, which round robin and tie-breaks follow.</summary>
    public static async Task<IReadOnlyList<WorkerStatus>> RegisterTestbedAsync(this ISynergAiClient client, Testbed testbed, string pool,
        CancellationToken cancellationToken)
    {
        var rows = testbed.Profile.ToLookup(p => p.Worker, StringComparer.Ordinal);
        var registered = new List<WorkerStatus>(testbed.Workers.Count);
        foreach (var w in testbed.Workers)
            registered.Add(await client.RegisterWorkerAsync(ToSpec(w), rows[w.Name].Select(ToPoint), pool, cancellationToken));
        return registered;
    }
}
