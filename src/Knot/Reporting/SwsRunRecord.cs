using System.Text.Json.Nodes;
using Knot.Compression.SoftSharing;

namespace Knot.Reporting;

/// <summary>
/// What `knot sws` records for its report next to the .knot file: the weight histograms before and after
/// retraining (one shared bin range, so the two are comparable), the mixture at the start, after training and
/// after merging, plus the command's summary.
/// </summary>
public static class SwsRunRecord
{
    public const string Kind = "sws";
    public const int HistogramBins = 240;

    public static JsonObject Create(SoftSharingResult result, JsonObject summary, string fromPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(summary);
        var (loBefore, hiBefore) = WeightHistogram.Range(result.PretrainedWeights);
        var (loAfter, hiAfter) = WeightHistogram.Range(result.RetrainedWeights);
        double lo = Math.Min(Finite(loBefore, 0), Finite(loAfter, 0)), hi = Math.Max(Finite(hiBefore, 0), Finite(hiAfter, 0));
        return new JsonObject
        {
            ["kind"] = Kind,
            ["from"] = fromPath,
            ["summary"] = summary.DeepClone(),
            ["mixture_before"] = Mixture(result.InitialComponents),
            ["mixture_after"] = Mixture(result.Components),
            ["mixture_merged"] = Mixture(result.MergedComponents),
            ["weights_before"] = WeightHistogram.Compute(result.PretrainedWeights, lo, hi, HistogramBins).ToJson(),
            ["weights_after"] = WeightHistogram.Compute(result.RetrainedWeights, lo, hi, HistogramBins).ToJson(),
            ["weights_quantized"] = WeightHistogram.Compute(result.Quantization.Weights, lo, hi, HistogramBins).ToJson(),
        };
    }

    private static double Finite(double v, double fallback) => double.IsFinite(v) ? v : fallback;

    public static JsonArray Mixture(IEnumerable<MixtureComponent> components) =>
        new(components.Select(c => (JsonNode)new JsonObject { ["mean"] = c.Mean, ["sigma"] = c.StandardDeviation, ["pi"] = c.Mixing }).ToArray());

    /// <summary>Components read back as (mean, σ, π); entries with non-finite or non-positive σ are rejected.</summary>
    public static List<(double Mean, double Sigma, double Pi)> ReadMixture(JsonNode? node, string source)
    {
        if (node is null) return [];
        if (node is not JsonArray a) throw new InvalidDataException($"{source}: mixture is not an array.");
        var list = new List<(double, double, double)>();
        foreach (var item in a)
        {
            if (item is not JsonObject o) throw new InvalidDataException($"{source}: a mixture component is not an object.");
            double mean = JsonFiles.Number(o, "mean") ?? double.NaN, sigma = JsonFiles.Number(o, "sigma") ?? double.NaN, pi = JsonFiles.Number(o, "pi") ?? double.NaN;
            if (!double.IsFinite(mean) || !(sigma > 0) || !double.IsFinite(sigma) || !(pi >= 0))
                throw new InvalidDataException($"{source}: mixture component (mean {mean}, sigma {sigma}, pi {pi}) needs a finite mean, sigma > 0 and pi >= 0.");
            list.Add((mean, sigma, pi));
        }
        return list;
    }
}
