using System.Text.Json.Nodes;

namespace Knot.Reporting;

/// <summary>Counts of values in equal-width bins over [Low, High]; values outside are clamped to the end bins, NaN is skipped.</summary>
public sealed record WeightHistogram(double Low, double High, long[] Counts)
{
    public int Bins => Counts.Length;

    public double BinWidth => Counts.Length == 0 ? 0 : (High - Low) / Counts.Length;

    public long Total => Counts.Sum();

    public static WeightHistogram Compute(IEnumerable<float[]> tensors, double low, double high, int bins)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "A histogram needs at least one bin.");
        if (!double.IsFinite(low) || !double.IsFinite(high) || !(high > low))
        {
            // Constant data: one bin wide enough to hold it.
            double centre = double.IsFinite(low) ? low : 0;
            low = centre - 0.5;
            high = centre + 0.5;
        }
        var counts = new long[bins];
        double scale = bins / (high - low);
        foreach (var t in tensors)
            foreach (var v in t)
            {
                if (float.IsNaN(v)) continue;
                int b = (int)Math.Floor((v - low) * scale);
                counts[Math.Clamp(b, 0, bins - 1)]++;
            }
        return new WeightHistogram(low, high, counts);
    }

    /// <summary>Finite minimum and maximum over all values (NaN when there is none).</summary>
    public static (double Min, double Max) Range(IEnumerable<float[]> tensors)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var t in tensors)
            foreach (var v in t)
            {
                if (!float.IsFinite(v)) continue;
                if (v < min) min = v;
                if (v > max) max = v;
            }
        return double.IsFinite(min) ? (min, max) : (double.NaN, double.NaN);
    }

    public JsonObject ToJson() => new()
    {
        ["low"] = Low, ["high"] = High, ["counts"] = new JsonArray(Counts.Select(c => (JsonNode)c).ToArray()),
    };

    public static WeightHistogram FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new InvalidDataException($"{source}: histogram is missing or not an object.");
        try
        {
            double low = JsonFiles.Number(o, "low") ?? throw new InvalidDataException($"{source}: histogram 'low' is missing.");
            double high = JsonFiles.Number(o, "high") ?? throw new InvalidDataException($"{source}: histogram 'high' is missing.");
            var counts = (o["counts"] as JsonArray ?? throw new InvalidDataException($"{source}: histogram 'counts' is not an array."))
                .Select(c => JsonFiles.TryNumber(c, out var n) && n >= 0 && n == Math.Floor(n) ? (long)n : throw new InvalidDataException($"{source}: histogram count '{c?.ToJsonString()}' is not a non-negative integer."))
                .ToArray();
            if (counts.Length == 0 || !(high > low)) throw new InvalidDataException($"{source}: histogram needs counts and high > low, got {counts.Length} bins over [{low}, {high}].");
            return new WeightHistogram(low, high, counts);
        }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{source}: histogram: {e.Message}", e); }
    }
}
