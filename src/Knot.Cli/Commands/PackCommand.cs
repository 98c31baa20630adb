using Knot.Comparison;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Training;
using Spectre.Console;
using System.CommandLine;
using System.Text.Json.Nodes;

namespace Knot.Cli.Commands;

public static class PackCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("checkpoint") { Description = "A checkpoint from knot train, knot prune, or a GrOWL retrained.ckpt (its structure is finalized first)." };
        var output = new Option<string>("--out") { Description = "The .knot file to write.", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("pack", "Pack a checkpoint into a compressed .knot file (each tensor in its cheapest encoding).") { file, output, json };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            string path = p.GetValue(file)!, outPath = p.GetValue(output)!;
            var packed = CheckpointPacker.Pack(path, outPath);
            long fileBytes = packed.FileBytes, denseBytes = packed.DenseBytes;
            double ratio = packed.Ratio;
            if (o.Json)
                o.WriteJson(new JsonObject { ["out"] = outPath, ["file_bytes"] = fileBytes, ["dense_bytes"] = denseBytes, ["ratio"] = ratio });
            else
                o.Console.MarkupLine($"Wrote {Markup.Escape(outPath)}: {fileBytes:N0} bytes, {denseBytes:N0} dense bytes, ratio [bold]{ratio:F1}×[/]");
            return ExitCodes.Success;
        }));
        return command;
    }
}


/// <summary>Tells a .knot file from a checkpoint by its first four bytes, so eval and inspect accept both.</summary>
public static class KnotFiles
{
    /// <summary>A compressed .knot model (its magic "KNOT" is also the prefix of a checkpoint's "KNOTCKPT").</summary>
    public static bool IsKnotFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        return Knot.Storage.Interop.WeightFileFormats.Detect(path) == Knot.Storage.Interop.WeightFileFormat.KnotCompressed;
    }
}


/// <summary>`knot inspect FILE.knot`: per tensor its encoding, non-zeros, bits per weight and per index, bytes.</summary>
public static class KnotInspect
{
    public static int Run(Output o, string path)
    {
        var model = KnotModelFile.Read(path);
        var file = model.File;
        var rows = file.Tensors.Select(t =>
        {
            long nonZeros = t switch
            {
                SparseKnotTensor s => s.Structure.NonZeroCount,
                SparseCodebookKnotTensor s => s.Structure.NonZeroCount,
                KnotFloatTensor f => f.ToDense().Count(v => v != 0f),
                IndexTableKnotTensor i => i.Values.Length,
                _ => t.ElementCount,
            };
            // Bits of the stored values and of the stored positions, per stored entry (the rest of the payload).
            double valueBits = t.Encoding.Values switch
            {
                ValueCoding.Float32 => 32,
                ValueCoding.Float16 => 16,
                ValueCoding.Codes or ValueCoding.PackedInt32 => t.Encoding.CodeBits,
                _ => double.NaN,
            };
            long entries = t.Encoding.IsSparse ? nonZeros : t.ElementCount;
            double totalBits = 8.0 * t.StoredBytes;
            if (double.IsNaN(valueBits)) valueBits = t.Encoding.IsSparse ? double.NaN : entries == 0 ? 0 : totalBits / entries;
            double indexBits = !t.Encoding.IsSparse ? 0 : double.IsNaN(valueBits) ? double.NaN : entries == 0 ? 0 : (totalBits - valueBits * entries) / entries;
            return (t.Name, Shape: t.Shape.ToString(), Encoding: t.Encoding.ToString(), Elements: (long)t.ElementCount, NonZeros: nonZeros,
                BitsPerWeight: entries == 0 ? 0 : totalBits / Math.Max(1, nonZeros), ValueBits: valueBits, IndexBits: indexBits, Bytes: t.StoredBytes);
        }).ToList();
        if (o.Json)
        {
            o.WriteJson(new JsonObject
            {
                ["model"] = model.Spec?.Name, ["file_bytes"] = file.FileBytes, ["dense_bytes"] = model.DenseBytes, ["ratio"] = model.Ratio,
                ["dense_parameters"] = model.DenseParameters,
                ["tensors"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Name, ["shape"] = r.Shape, ["encoding"] = r.Encoding, ["elements"] = r.Elements, ["nonzero"] = r.NonZeros,
                    ["bits_per_nonzero"] = r.BitsPerWeight, ["value_bits"] = NullIfNaN(r.ValueBits), ["index_bits"] = NullIfNaN(r.IndexBits), ["bytes"] = r.Bytes,
                }).ToArray()),
            });
            return ExitCodes.Success;
        }
        var table = new Table().AddColumns("tensor", "shape", "encoding", "non-zero", "bits/non-zero", "value bits", "index bits", "bytes");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Name), r.Shape, Markup.Escape(r.Encoding), $"{r.NonZeros:N0}/{r.Elements:N0}", $"{r.BitsPerWeight:F2}",
                double.IsNaN(r.ValueBits) ? "huffman" : $"{r.ValueBits:F2}", double.IsNaN(r.IndexBits) ? "huffman" : $"{r.IndexBits:F2}", $"{r.Bytes:N0}");
        o.Console.MarkupLine($"[bold]{Markup.Escape(model.Spec?.Name ?? "model")}[/] .knot v{file.Version}: {file.FileBytes:N0} bytes, dense {model.DenseBytes:N0} bytes, ratio [bold]{model.Ratio:F1}×[/]");
        o.Console.Write(table);
        return ExitCodes.Success;
    }

    private static double? NullIfNaN(double v) => double.IsNaN(v) ? null : v;
}

/// <summary>`knot eval FILE.knot`: test accuracy computed by compressed inference (no dense Linear weights).</summary>
public static class KnotEval
{
    public static int Run(Output o, string path, string? data)
    {
        var spec = CommonOptions.ParseData(data);
        var model = Knot.Inference.CompressedModel.Load(path);
        var test = spec.Load(Knot.Data.DataSplit.Test);
        if (model.Spec is { } s) TrainingRun.CheckDataFitsModel(s, test);
        var result = Knot.Inference.CompressedEvaluator.Evaluate(model, test);
        string name = model.Spec?.Name ?? Path.GetFileName(path);
        if (o.Json)
            o.WriteJson(new JsonObject
            {
                ["model"] = name, ["test_accuracy"] = result.Accuracy, ["test_loss"] = result.Loss, ["samples"] = result.Samples,
                ["file_bytes"] = model.File.FileBytes, ["ratio"] = 4.0 * model.DenseParameters / model.File.FileBytes,
            });
        else
            o.Console.MarkupLine($"{Markup.Escape(name)} (.knot, compressed inference): test accuracy [bold green]{result.Accuracy:P2}[/], loss {result.Loss:F4} on {result.Samples} samples");
        return ExitCodes.Success;
    }
}
