using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using SynergAI.Silo;
using SynergAI.Silo.Operating;

// With no settings: one silo on localhost (silo port 11111, gateway 30000), in-memory storage, the reference testbed.
// With ConnectionStrings:Postgres: the schema is created or upgraded first, then PostgreSQL clustering, storage and reminders.
try
{
    var builder = WebApplication.CreateBuilder(args);
    AddSettingsFile(builder.Configuration);
    builder.AddSynergAiSilo();
    builder.AddSynergAiOperating();
    var app = builder.Build();
    app.MapSynergAiOperating();
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

// SynergAI:SettingsFile (environment SynergAI__SettingsFile): one more JSON settings file, e.g. a Kubernetes ConfigMap
// mounted as a file. It ranks just above appsettings*.json, so environment variables and the command line still win.
static void AddSettingsFile(ConfigurationManager configuration)
{
    var path = configuration["SynergAI:SettingsFile"];
    if (string.IsNullOrWhiteSpace(path)) return;
    var full = Path.GetFullPath(path);
    if (!File.Exists(full)) throw new SettingsException([$"SynergAI:SettingsFile: no file at {full}"]);
    var sources = configuration.Sources;
    var lastJson = -1;
    for (var i = 0; i < sources.Count; i++)
        if (sources[i] is JsonConfigurationSource) lastJson = i;
    sources.Insert(lastJson + 1, new JsonConfigurationSource
    {
        FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(full)!),
        Path = Path.GetFileName(full),
        Optional = false,
        ReloadOnChange = false,
    });
}
