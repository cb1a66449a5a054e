using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using SynergAI.Grains;

namespace SynergAI.Cli.Commands;

/// <summary><c>synergai quote --engine E --queries Q --qos S</c>: what submitting that job now would bring, by the pool's
/// forecast; nothing is submitted. <c>submit --dry-run</c> prints the same.</summary>
internal static class QuoteCommand
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create(CliIo io)
    {
        var engine = new Option<string>("--engine") { Description = "Engine to run, e.g. onnx-mobilenet (see 'synergai workers')", Required = true };
        var queries = new Option<int>("--queries") { Description = "Number of queries (> 0)", Required = true };
        var qos = new Option<double>("--qos") { Description = "QoS deadline in (model) seconds after submission (> 0)", Required = true };
        var format = Options.Format("table", "json");
        var command = new Command("quote", "Predict where and when a job submitted now would run, whether it would meet its deadline, "
            + "and the tightest deadline that would be met; nothing is submitted")
        {
            engine, queries, qos, format,
        };
        var cluster = new Cluster().AddTo(command);
        command.SetAction((parsed, cancel) =>
        {
            var spec = new JobSpec(parsed.GetValue(engine)!, parsed.GetValue(queries), parsed.GetValue(qos));
            if (spec.Problem() is { } problem) throw new ArgumentException(problem);
            return cluster.RunAsync(parsed, io, cancel, async (client, token) =>
            {
                Write(io, parsed.GetValue(format)!, await client.QuoteAsync(spec, cluster.PoolOf(parsed), token));
                return 0;
            });
        });
        return command;
    }

    public static void Write(CliIo io, string format, JobQuote q)
    {
        if (format == "json")
        {
            io.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["pool"] = q.Pool,
                ["engine"] = q.Spec.Engine,
                ["queries"] = q.Spec.Queries,
                ["qos_s"] = q.Spec.QosSeconds,
                ["worker"] = q.Worker,
                ["config"] = q.Config,
                ["starts_in_s"] = q.StartsInSeconds,
                ["finishes_in_s"] = q.FinishesInSeconds,
                ["start_at"] = StatusOutput.Time(q.StartAt) is { Length: > 0 } s ? s : null,
                ["finish_at"] = StatusOutput.Time(q.FinishAt) is { Length: > 0 } f ? f : null,
                ["meets_deadline"] = q.MeetsDeadline,
                ["displaces"] = q.Displaces,
                ["tightest_qos_s"] = q.TightestQosSeconds,
                ["queued"] = q.Queued,
                ["code"] = q.Code,
                ["reason"] = q.Reason,
            }, Json));
            return;
        }
        var table = new Table().Border(TableBorder.Simple).HideHeaders().AddColumns("field", "value");
        void Row(string field, string? value) => table.AddRow(field, Markup.Escape(value ?? ""));
        Row("pool", q.Pool);
        Row("job", $"{q.Spec.Engine}, {q.Spec.Queries} queries, qos {Seconds(q.Spec.QosSeconds)} s");
        if (q.Worker is null) Row("prediction", $"none: {q.Reason} ({q.Code})");
        Row("worker", q.Worker);
        Row("config", q.Config);
        Row("starts in s (model)", q.StartsInSeconds is { } start ? Seconds(start) : null);
        Row("finishes in s (model)", q.FinishesInSeconds is { } finish ? Seconds(finish) : null);
        Row("start at", StatusOutput.Time(q.StartAt));
        Row("finish at", StatusOutput.Time(q.FinishAt));
        Row("meets deadline", q.MeetsDeadline is { } met ? (met ? "yes" : "no") : null);
        if (q.Displaces.Count > 0) Row("would make miss", string.Join(", ", q.Displaces));
        Row("tightest qos s", q.TightestQosSeconds is { } tightest ? Seconds(tightest) : "none");
        Row("jobs waiting", q.Queued.ToString(CultureInfo.InvariantCulture));
        io.Tables.Write(table);
    }

    static string Seconds(double s) => s.ToString("0.0", CultureInfo.InvariantCulture);
}
