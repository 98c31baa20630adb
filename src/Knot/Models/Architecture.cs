using System.Text.Json.Nodes;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Models;

/// <summary>
/// A self-describing layer list for <see cref="Sequential"/> models, so that a file can rebuild a network
/// that is no longer a zoo model (e.g. a GrOWL-finalized one with fewer units and group sums). JSON, one
/// object per layer: {"name": "fc1", "type": "linear", "in": 784, "out": 300, "bias": true}, …
/// Parameters and buffers are stored separately under the usual dotted names.
/// </summary>
public static class Architecture
{
    public static JsonArray Describe(Sequential model)
    {
        var layers = new JsonArray();
        foreach (var (name, m) in model.Children)
        {
            JsonObject o = m switch
            {
                Flatten => new() { ["type"] = "flatten" },
                ReLU => new() { ["type"] = "relu" },
                Linear l => new() { ["type"] = "linear", ["in"] = l.InFeatures, ["out"] = l.OutFeatures, ["bias"] = l.Bias is not null },
                Conv2d c => new() { ["type"] = "conv2d", ["in"] = c.InChannels, ["out"] = c.OutChannels, ["kernel"] = c.KernelSize, ["stride"] = c.Stride, ["padding"] = c.Padding, ["bias"] = c.Bias is not null },
                BatchNorm1d b => new() { ["type"] = "batchnorm1d", ["features"] = b.NumFeatures, ["eps"] = (double)b.Eps, ["momentum"] = (double)b.Momentum, ["affine"] = b.Weight is not null },
                BatchNorm2d b => new() { ["type"] = "batchnorm2d", ["features"] = b.NumFeatures, ["eps"] = (double)b.Eps, ["momentum"] = (double)b.Momentum, ["affine"] = b.Weight is not null },
                MaxPool2d p => new() { ["type"] = "maxpool2d", ["kernel"] = p.KernelSize, ["stride"] = p.Stride, ["padding"] = p.Padding },
                AvgPool2d p => new() { ["type"] = "avgpool2d", ["kernel"] = p.KernelSize, ["stride"] = p.Stride, ["padding"] = p.Padding },
                GlobalAvgPool2d => new() { ["type"] = "globalavgpool2d" },
                Dropout d => new() { ["type"] = "dropout", ["p"] = (double)d.P },
                GroupSum g => new() { ["type"] = "groupsum", ["groups"] = g.GroupCount, ["labels"] = new JsonArray(g.Labels.ToArray().Select(v => (JsonNode)v).ToArray()) },
                WideResidualBlock => throw new NotSupportedException($"Layer '{name}' is a residual block; only plain sequential networks can be described (wrn-16-4 is not supported here)."),
                _ => throw new NotSupportedException($"Layer '{name}' of type {m.GetType().Name} cannot be described."),
            };
            o["name"] = name;
            layers.Add(o);
        }
        return layers;
    }

    /// <summary>Builds the described network with zero weights; load the tensors afterwards.</summary>
    public static Sequential Build(JsonArray layers, string source)
    {
        var net = new Sequential();
        var rng = new KnotRandom(0);
        int index = 0;
        foreach (var node in layers)
        {
            if (node is not JsonObject o) throw new InvalidDataException($"{source}: layer {index} is not an object.");
            string type = Str(o, "type", source, index), name = Str(o, "name", source, index);
            int I(string key) => Int(o, key, source, index);
            bool B(string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Bad(source, index, key, "a boolean");
            float F(string key) => o[key] is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? (float)d : throw Bad(source, index, key, "a number");
            try
            {
                Module m = type switch
                {
                    "flatten" => new Flatten(),
                    "relu" => new ReLU(),
                    "linear" => new Linear(I("in"), I("out"), rng, B("bias")),
                    "conv2d" => new Conv2d(I("in"), I("out"), I("kernel"), I("stride"), I("padding"), B("bias"), rng),
                    "batchnorm1d" => new BatchNorm1d(I("features"), F("eps"), F("momentum"), B("affine")),
                    "batchnorm2d" => new BatchNorm2d(I("features"), F("eps"), F("momentum"), B("affine")),
                    "maxpool2d" => new MaxPool2d(I("kernel"), I("stride"), I("padding")),
                    "avgpool2d" => new AvgPool2d(I("kernel"), I("stride"), I("padding")),
                    "globalavgpool2d" => new GlobalAvgPool2d(),
                    "dropout" => new Dropout(F("p"), 0UL),
                    "groupsum" => new GroupSum(Labels(o, source, index), I("groups")),
                    _ => throw new InvalidDataException($"{source}: layer {index} ('{name}') has unknown type '{type}'."),
                };
                net.Add(m, name);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: layer {index} ('{name}'): {e.Message}", e);
            }
            index++;
        }
        return net;
    }

    private static string Str(JsonObject o, string key, string source, int index) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Bad(source, index, key, "a string");

    private static int Int(JsonObject o, string key, string source, int index) =>
        o[key] is JsonValue v && v.TryGetValue<int>(out var i) && i >= 0 && i <= 1 << 24 ? i : throw Bad(source, index, key, "an integer in [0, 2^24]");

    private static int[] Labels(JsonObject o, string source, int index)
    {
        if (o["labels"] is not JsonArray a || a.Count > 1 << 24) throw Bad(source, index, "labels", "an array of integers");
        var labels = new int[a.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = a[i] is JsonValue v && v.TryGetValue<int>(out var l) ? l : throw Bad(source, index, "labels", "an array of integers");
        return labels;
    }

    private static InvalidDataException Bad(string source, int index, string key, string expected) =>
        new($"{source}: layer {index}: '{key}' must be {expected}.");
}
