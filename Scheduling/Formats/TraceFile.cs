using System.Globalization;
using CsvHelper;

namespace SynergAI.Scheduling.Formats;

/// <summary>Reads and writes traces: <c>job,arrival_s,engine,queries,qos_s</c>, one job a row.</summary>
public static class TraceFile
{
    static readonly string[] Columns = ["job", "arrival_s", "engine", "queries", "qos_s"];

    /// <summary>Reads a trace and checks it against <paramref name="testbed"/>: every engine must be profiled
    /// on some worker. Jobs come back in arrival order (ties keep file order).</summary>
    public static List<Job> Load(string path, Testbed testbed)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"trace file '{path}' does not exist", path);
        using var text = File.OpenText(path);
        return Read(text, testbed, path);
    }

    public static List<Job> Read(TextReader csv, Testbed testbed, string file = "trace.csv")
    {
        var engines = testbed.Engines.ToHashSet(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var jobs = CsvRows.Read(csv, file, Columns, row =>
        {
            var id = row.Text("job");
            if (!ids.Add(id)) throw row.Error("job", $"duplicate job id '{id}'");
            var engine = row.Text("engine");
            if (!engines.Contains(engine)) throw row.Error("engine", $"no worker has a profile for engine '{engine}'");
            return new Job(id, row.NonNegative("arrival_s"), engine, row.PositiveInt("queries"), row.Positive("qos_s"));
        });
        return [.. jobs.OrderBy(j => j.ArrivalSeconds)];
    }

    public static void Write(TextWriter output, IEnumerable<Job> jobs)
    {
        using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in Columns) csv.WriteField(column);
        csv.NextRecord();
        foreach (var job in jobs)
        {
            csv.WriteField(job.Id);
            csv.WriteField(job.ArrivalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
            csv.WriteField(job.Engine);
            csv.WriteField(job.Queries);
            csv.WriteField(job.QosSeconds.ToString("0.###", CultureInfo.InvariantCulture));
            csv.NextRecord();
        }
    }
}
