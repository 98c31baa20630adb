using System.Text.Json.Nodes;
using Knot.Training;

namespace Knot.Reporting;

/// <summary>Epoch records as JSON objects (snake_case, extras flattened), and back.</summary>
public static class HistoryJson
{
    public static JsonArray ToJson(IEnumerable<EpochRecord> history) => new(history.Select(h =>
    {
        var e = new JsonObject
        {
            ["epoch"] = h.Epoch, ["train_loss"] = h.TrainLoss, ["train_accuracy"] = h.TrainAccuracy,
            ["test_loss"] = h.TestLoss, ["test_accuracy"] = h.TestAccuracy, ["lr"] = h.LearningRate, ["seconds"] = h.Seconds,
        };
        foreach (var (k, v) in h.Extra) e[k] = v;
        return (JsonNode)e;
    }).ToArray());

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
        { "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds" };

    public static List<EpochRecord> FromJson(JsonNode? node, string source)
    {
        if (node is null) return [];
        if (node is not JsonArray a) throw new InvalidDataException($"{source}: history is not an array.");
        var result = new List<EpochRecord>();
        foreach (var item in a)
        {
            if (item is not JsonObject o) throw new InvalidDataException($"{source}: a history entry is not an object.");
            try
            {
                var r = new EpochRecord
                {
                    Epoch = (int)(JsonFiles.Number(o, "epoch") ?? result.Count + 1),
                    TrainLoss = JsonFiles.Number(o, "train_loss") ?? double.NaN,
                    TrainAccuracy = JsonFiles.Number(o, "train_accuracy") ?? double.NaN,
                    TestLoss = JsonFiles.Number(o, "test_loss"),
                    TestAccuracy = JsonFiles.Number(o, "test_accuracy"),
                    LearningRate = JsonFiles.Number(o, "lr") ?? double.NaN,
                    Seconds = JsonFiles.Number(o, "seconds") ?? double.NaN,
                };
                foreach (var (k, v) in o)
                    if (!Known.Contains(k) && JsonFiles.TryNumber(v, out var d)) r.Extra[k] = d;
                result.Add(r);
            }
            catch (InvalidDataException e) { throw new InvalidDataException($"{source}: history: {e.Message}", e); }
        }
        return result;
    }
}
