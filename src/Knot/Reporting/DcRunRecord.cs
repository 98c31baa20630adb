using System.Text.Json.Nodes;
using Knot.Compression.DeepCompression;

namespace Knot.Reporting;

/// <summary>What `knot dc` records next to its .knot file: the command's summary (stage accuracies, per-layer
/// accounting) and the per-epoch records of retraining and centroid fine-tuning.</summary>
public static class DcRunRecord
{
    public const string Kind = "dc";

    public static JsonObject Create(DeepCompressionResult result, JsonObject summary, string fromPath)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(summary);
        return new JsonObject
        {
            ["kind"] = Kind,
            ["from"] = fromPath,
            ["summary"] = summary.DeepClone(),
            ["retrain_history"] = HistoryJson.ToJson(result.RetrainHistory),
            ["finetune_history"] = HistoryJson.ToJson(result.FineTuneHistory),
        };
    }
}
