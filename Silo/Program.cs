using Microsoft.Extensions.Options;
using SynergAI.Silo;

// With no settings: one silo on localhost (silo port 11111, gateway 30000), in-memory storage, the reference testbed.
// With ConnectionStrings:Postgres: the schema is created or upgraded first, then PostgreSQL clustering, storage and reminders.
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddSynergAiSilo();
    var app = builder.Build();
    app.MapSynergAiHealth();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is SettingsException or OptionsValidationException)
{
    var problems = e is OptionsValidationException invalid ? invalid.Failures : ((SettingsException)e).Problems;
    Console.Error.WriteLine("synergai silo: cannot start with these settings:");
    foreach (var problem in problems) Console.Error.WriteLine($"  - {problem}");
    return 1;
}
