using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace SynergAI.Scheduling.Formats;

/// <summary>Reads a CSV file with a required header into typed rows; the first bad value stops the read
/// with an <see cref="InputFileException"/>, so a caller never sees a half-read file.</summary>
internal static class CsvRows
{
    static readonly CsvConfiguration Config = new(CultureInfo.InvariantCulture)
    {
        TrimOptions = TrimOptions.Trim,
        DetectColumnCountChanges = false,
        MissingFieldFound = null,
        BadDataFound = null,
    };

    public static List<T> Read<T>(TextReader text, string file, string[] columns, Func<Row, T> map)
    {
        using var csv = new CsvReader(text, Config);
        if (!csv.Read() || !csv.ReadHeader())
            throw new InputFileException(file, 1, null, $"file is empty; expected the header '{string.Join(',', columns)}'");
        var header = csv.HeaderRecord ?? [];
        foreach (var column in columns)
            if (!header.Contains(column, StringComparer.Ordinal))
                throw new InputFileException(file, 1, column, $"missing column; the header must hold '{string.Join(',', columns)}'");
        // Strict: a column the reader does not know, or a row with more or fewer values than the header, is refused
        // rather than ignored (a shifted value would otherwise be read as the wrong field, or silently dropped).
        foreach (var column in header)
            if (!columns.Contains(column, StringComparer.Ordinal))
                throw new InputFileException(file, 1, column, $"unknown column; the header must be '{string.Join(',', columns)}'");
        if (header.Length != header.Distinct(StringComparer.Ordinal).Count())
            throw new InputFileException(file, 1, null, $"a column appears twice; the header must be '{string.Join(',', columns)}'");

        var rows = new List<T>();
        while (csv.Read())
        {
            var row = new Row(csv, file);
            if (row.IsBlank()) continue;
            if (csv.Parser.Count != header.Length)
                throw row.Error(null, $"has {csv.Parser.Count} values; the header has {header.Length} ({string.Join(',', header)})");
            rows.Add(map(row));
        }
        return rows;
    }

    /// <summary>One data row; each accessor validates its field and names it when it is wrong.</summary>
    internal sealed class Row(CsvReader csv, string file)
    {
        public int Line { get; } = csv.Parser.RawRow;

        public InputFileException Error(string? field, string problem) => new(file, Line, field, problem);

        public bool IsBlank() => csv.Parser.Record is { } r && r.All(string.IsNullOrWhiteSpace);

        public string Text(string field)
        {
            var value = csv.GetField(field);
            if (string.IsNullOrWhiteSpace(value)) throw Error(field, "is empty");
            return value;
        }

        public double Number(string field)
        {
            var raw = Text(field);
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw Error(field, $"is not a number: '{raw}'");
            if (!double.IsFinite(value)) throw Error(field, $"must be finite, got '{raw}'");
            return value;
        }

        public double Positive(string field)
        {
            var value = Number(field);
            return value > 0 ? value : throw Error(field, $"must be greater than 0, got '{Text(field)}'");
        }

        public double NonNegative(string field)
        {
            var value = Number(field);
            return value >= 0 ? value : throw Error(field, $"must not be negative, got '{Text(field)}'");
        }

        public int PositiveInt(string field)
        {
            var raw = Text(field);
            if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                throw Error(field, $"is not a whole number: '{raw}'");
            return value > 0 ? value : throw Error(field, $"must be greater than 0, got '{raw}'");
        }
    }
}
