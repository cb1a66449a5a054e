namespace SynergAI.Scheduling.Formats;

/// <summary>Reads a testbed folder: <c>workers.csv</c> (<c>worker,arch,cpus,memory_gb,default_config</c>) and
/// <c>profile.csv</c> (<c>worker,engine,config,qps,preprocess_s</c>).</summary>
public static class TestbedFiles
{
    public const string WorkersFile = "workers.csv";
    public const string ProfileFile = "profile.csv";
    static readonly string[] WorkerColumns = ["worker", "arch", "cpus", "memory_gb", "default_config"];
    static readonly string[] ProfileColumns = ["worker", "engine", "config", "qps", "preprocess_s"];

    public static Testbed Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"testbed folder '{directory}' does not exist");
        var workersPath = Path.Combine(directory, WorkersFile);
        var profilePath = Path.Combine(directory, ProfileFile);
        foreach (var path in new[] { workersPath, profilePath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"testbed folder '{directory}' has no {Path.GetFileName(path)}", path);
        using var workers = File.OpenText(workersPath);
        using var profile = File.OpenText(profilePath);
        return Read(workers, profile, workersPath, profilePath);
    }

    public static Testbed Read(TextReader workersCsv, TextReader profileCsv,
        string workersName = WorkersFile, string profileName = ProfileFile)
    {
        var workers = ReadWorkers(workersCsv, workersName);
        var profile = ReadProfile(profileCsv, profileName, workers);
        return new Testbed(workers, profile);
    }

    public static List<Worker> ReadWorkers(TextReader csv, string file = WorkersFile)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var workers = CsvRows.Read(csv, file, WorkerColumns, row =>
        {
            var name = row.Text("worker");
            if (!names.Add(name)) throw row.Error("worker", $"duplicate worker '{name}'");
            return new Worker(name, row.Text("arch"), row.PositiveInt("cpus"), row.Positive("memory_gb"), row.Text("default_config"));
        });
        if (workers.Count == 0) throw new InputFileException(file, 1, null, "no workers");
        return workers;
    }

    /// <summary>Reads a profile for known <paramref name="workers"/>. Every (worker, engine) pair must include the
    /// worker's default configuration, which the baselines run with.</summary>
    public static List<ProfileEntry> ReadProfile(TextReader csv, string file, IReadOnlyList<Worker> workers)
    {
        var byName = workers.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var seen = new HashSet<(string, string, string)>();
        var firstLine = new Dictionary<(string Worker, string Engine), int>();
        var hasDefault = new HashSet<(string, string)>();
        var profile = CsvRows.Read(csv, file, ProfileColumns, row =>
        {
            var worker = row.Text("worker");
            if (!byName.TryGetValue(worker, out var w))
                throw row.Error("worker", $"unknown worker '{worker}' (not in the testbed's {WorkersFile})");
            var entry = new ProfileEntry(worker, row.Text("engine"), row.Text("config"), row.Positive("qps"), row.NonNegative("preprocess_s"));
            if (!seen.Add((entry.Worker, entry.Engine, entry.Config)))
                throw row.Error("config", $"duplicate row for worker '{worker}', engine '{entry.Engine}', config '{entry.Config}'");
            firstLine.TryAdd((worker, entry.Engine), row.Line);
            if (entry.Config == w.DefaultConfig) hasDefault.Add((worker, entry.Engine));
            return entry;
        });
        if (profile.Count == 0) throw new InputFileException(file, 1, null, "no profile rows");
        foreach (var (pair, line) in firstLine.OrderBy(p => p.Value))
            if (!hasDefault.Contains(pair))
                throw new InputFileException(file, line, "config",
                    $"worker '{pair.Worker}' has rows for engine '{pair.Engine}' but none for its default_config '{byName[pair.Worker].DefaultConfig}'");
        return profile;
    }
}
