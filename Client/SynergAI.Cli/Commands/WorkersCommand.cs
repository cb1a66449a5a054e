using System.CommandLine;
using SynergAI.Scheduling.Formats;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai workers</c> and <c>synergai profile import DIR</c>.</summary>
internal static class WorkersCommand
{
    public static Command Create(CliIo io)
    {
        var format = Options.Format("table", "csv", "json");
        var command = new Command("workers", "List the pool's workers: spec, free or busy, running job, and c* (the best configuration) per engine") { format };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) => cluster.RunAsync(parsed, io, cancel, async (client, token) =>
        {
            var pool = cluster.PoolOf(parsed);
            await cluster.RequireKnownPoolAsync(pool, token);
            var workers = await client.ListWorkersAsync(pool, token);
            StatusOutput.WriteWorkers(io, parsed.GetValue(format)!, [.. workers.OrderBy(w => w.Name, StringComparer.Ordinal)]);
            return 0;
        }));
        return command;
    }

    public static Command Profile(CliIo io)
    {
        var folder = new Argument<string>("DIR") { Description = "Testbed folder holding workers.csv and profile.csv" };
        var import = new Command("import", "Register (or re-register) every worker of a testbed folder with its profile in the pool") { folder };
        var cluster = new Cluster().AddTo(import);
        import.SetAction((parsed, cancel) =>
        {
            // Read and checked before connecting: bad input stops here and nothing is registered.
            var testbed = TestbedFiles.Load(parsed.GetValue(folder)!);
            return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
            {
                var pool = cluster.PoolOf(parsed);
                var workers = await client.RegisterTestbedAsync(testbed, pool, token);
                foreach (var w in workers) io.Out.WriteLine(w.Name);
                io.Error.WriteLine($"registered {workers.Count} worker(s) with {testbed.Profile.Count} profile rows " +
                                   $"({testbed.Engines.Count()} engines) in pool '{pool}'");
                return 0;
            });
        });
        return new Command("profile", "Worker profiles") { import };
    }
}
