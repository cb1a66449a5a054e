using System.CommandLine;
using SynergAI.Grains.Persistence;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai db init --connection CS</c>: creates or upgrades the PostgreSQL schema, as a silo does at start-up.</summary>
internal static class DbCommand
{
    public static Command Create(CliIo io)
    {
        var connection = new Option<string>("--connection")
        {
            Description = "PostgreSQL connection string, e.g. \"Host=localhost;Database=synergai;Username=synergai;Password=...\"",
            Required = true,
        };
        var init = new Command("init", "Create or upgrade the schema (Orleans clustering, grain storage, reminders and SynergAI's tables); safe to repeat") { connection };
        init.SetAction(async (parsed, cancel) =>
        {
            IReadOnlyList<SchemaMigration> applied;
            try
            {
                applied = await PostgresSchema.EnsureAsync(parsed.GetValue(connection)!, cancel);
            }
            catch (PostgresSchemaException e)
            {
                io.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            if (applied.Count == 0) io.Out.WriteLine("schema up to date");
            foreach (var migration in applied) io.Out.WriteLine($"applied {migration}");
            return 0;
        });
        return new Command("db", "The PostgreSQL database of a cluster") { init };
    }
}
