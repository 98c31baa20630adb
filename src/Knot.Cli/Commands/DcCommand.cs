using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Knot.Compression.DeepCompression;
using Knot.Data;
using Knot.Nn;
using Knot.Optim;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>Options shared by knot prune and knot dc.</summary>
public sealed class CompressionOptions
{
    public Option<string> From { get; } = new("--from") { Description = "The trained checkpoint to compress.", Required = true };
    public Option<string> Data { get; } = CommonOptions.Data();
    public Option<string?> Quality { get; } = new("--quality") { Description = "Prune |w| < quality × std(layer): one number, or per layer fc1=1.2,fc2=0.8." };
    public Option<string?> Sparsity { get; } = new("--sparsity") { Description = "Prune this fraction of each layer's weights: one number, or per layer fc1=0.92,fc2=0.91." };
    public Option<int> RetrainEpochs { get; } = new("--retrain-epochs") { Description = "Epochs of retraining with the pruning masks fixed.", DefaultValueFactory = _ => 4 };
    public Option<float> Lr { get; } = new("--lr") { Description = "SGD learning rate of retraining (fine-tuning uses a tenth).", DefaultValueFactory = _ => 0.01f };
    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "L2 weight decay while retraining and fine-tuning.", DefaultValueFactory = _ => 0f };
    public Option<int> PruneSteps { get; } = new("--prune-steps") { Description = "Iterative pruning: reach the target in this many prune + retrain rounds (the retraining epochs are split between them).", DefaultValueFactory = _ => 1 };
    public Option<int> Shift { get; } = CommonOptions.Shift("while retraining and fine-tuning");
    public Option<int> BatchSize { get; } = CommonOptions.BatchSize();
    public Option<ulong> Seed { get; } = CommonOptions.Seed();
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<bool> Json { get; } = CommonOptions.Json();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { From, Data, Quality, Sparsity, RetrainEpochs, Lr, WeightDecay, PruneSteps, Shift, BatchSize, Seed, Threads, Json }) command.Options.Add(o);
    }

    /// <summary>Options from the command line; without --quality/--sparsity the paper's per-layer sparsities (LeNets) apply.</summary>
    public DeepCompressionOptions Parse(ParseResult p, string modelName, bool requireRule)
    {
        CommonOptions.ApplyThreads(p.GetValue(Threads));
        int retrain = p.GetValue(RetrainEpochs);
        CommonOptions.RequireNonNegative(retrain, "--retrain-epochs");
        CommonOptions.RequirePositive(p.GetValue(BatchSize), "--batch-size");
        float lr = p.GetValue(Lr);
        if (!(lr > 0) || !float.IsFinite(lr)) throw new UsageException($"--lr must be > 0, got {lr}.");
        float weightDecay = p.GetValue(WeightDecay);
        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay)) throw new UsageException($"--weight-decay must be >= 0, got {weightDecay}.");
        int pruneSteps = p.GetValue(PruneSteps);
        if (pruneSteps < 1 || pruneSteps > 100) throw new UsageException($"--prune-steps must be in [1, 100], got {pruneSteps}.");
        int shift = CommonOptions.ParseShift(p.GetValue(Shift));
        string? quality = p.GetValue(Quality), sparsity = p.GetValue(Sparsity);
        if (quality is not null && sparsity is not null) throw new UsageException("Give either --quality or --sparsity, not both.");
        var options = new DeepCompressionOptions
        {
            RetrainEpochs = retrain, PruneSteps = pruneSteps, ShiftPixels = shift, BatchSize = p.GetValue(BatchSize), Seed = p.GetValue(Seed),
            Optimizer = new OptimizerConfig("sgd", lr, 0.9f, WeightDecay: weightDecay, Schedule: "cosine"),
        };
        if (quality is not null) return WithRules(options, quality, "--quality", PruningRule.ByQuality);
        if (sparsity is not null) return WithRules(options, sparsity, "--sparsity", PruningRule.BySparsity);
        var paper = DeepCompressionOptions.PaperSparsity(modelName);
        if (paper is null || requireRule)
        {
            if (paper is null) throw new UsageException($"Model {modelName} has no default pruning settings: give --quality or --sparsity.");
            if (requireRule) throw new UsageException("Give --quality or --sparsity.");
        }
        return options with { LayerPruning = paper! };
    }

    private static DeepCompressionOptions WithRules(DeepCompressionOptions options, string text, string option, Func<double, PruningRule> rule)
    {
        var layers = new Dictionary<string, PruningRule>(StringComparer.Ordinal);
        PruningRule? all = null;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string number = eq < 0 ? part : part[(eq + 1)..];
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new UsageException($"{option}: '{part}' is not a number or layer=number.");
            if (eq < 0) all = rule(v);
            else layers[part[..eq]] = rule(v);
        }
        if (all is null && layers.Count == 0) throw new UsageException($"{option} needs a value.");
        var result = options with { LayerPruning = layers, Pruning = all ?? options.Pruning };
        try { result.Validate(); }
        catch (ArgumentException e) { throw new UsageException($"{option}: {e.Message}"); }
        return result;
    }

    public static (LoadedModel Loaded, Sequential Model) LoadModel(ParseResult p, CompressionOptions c)
    {
        var loaded = ModelCheckpoint.Load(p.GetValue(c.From)!);
        if (loaded.Model is not Sequential model)
            throw new UsageException($"{Path.GetFileName(loaded.Path)}: model {loaded.Spec.Name} is not a plain sequential network.");
        return (loaded, model);
    }

    /// <summary>Loaded after the options are checked, so a bad option is reported before a slow or failing data load.</summary>
    public static (LabeledDataset Train, LabeledDataset Test) LoadData(ParseResult p, CompressionOptions c, LoadedModel loaded)
    {
        var (train, test) = TrainingOptions.LoadData(p.GetValue(c.Data));
        TrainingRun.CheckDataFitsModel(loaded.Spec, train);
        return (train, test);
    }
}

public static class DcCommand
{
    public static Command Create()
    {
        var c = new CompressionOptions();
        var fineTune = new Option<int>("--finetune-epochs") { Description = "Epochs of centroid fine-tuning after quantization.", DefaultValueFactory = _ => 2 };
        var fcBits = new Option<int>("--fc-bits") { Description = "Codebook bits of fully connected layers (2^bits centroids).", DefaultValueFactory = _ => 6 };
        var convBits = new Option<int>("--conv-bits") { Description = "Codebook bits of convolution layers.", DefaultValueFactory = _ => 8 };
        var biasBits = CommonOptions.BiasBits();
        var output = new Option<string>("--out") { Description = "The .knot file to write.", Required = true };
        var command = new Command("dc", "Deep Compression: prune, retrain, quantize (k-means per layer), fine-tune centroids, pack with Huffman coding.");
        c.AddTo(command);
        command.Options.Add(fineTune);
        command.Options.Add(fcBits);
        command.Options.Add(convBits);
        command.Options.Add(biasBits);
        command.Options.Add(output);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(c.Json));
            var (loaded, model) = CompressionOptions.LoadModel(p, c);
            var options = c.Parse(p, loaded.Spec.Name, requireRule: false);
            int ft = p.GetValue(fineTune);
            CommonOptions.RequireNonNegative(ft, "--finetune-epochs");
            options = options with
            {
                FineTuneEpochs = ft, LinearBits = p.GetValue(fcBits), ConvBits = p.GetValue(convBits), BiasBits = CommonOptions.ParseBiasBits(p, biasBits),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var (train, test) = CompressionOptions.LoadData(p, c, loaded);
            o.Info($"Deep Compression of [bold]{loaded.Spec.Name}[/]: {options.RetrainEpochs} retrain + {options.FineTuneEpochs} fine-tune epochs, {options.LinearBits}-bit FC / {options.ConvBits}-bit conv codebooks");
            var result = o.WithProgress("dc", progress => DeepCompressionPipeline.Run(model, loaded.Spec, options, train, test, p.GetValue(output)!, progress));
            var summary = Summary(result);
            // For `knot report F.knot`: the summary and the per-epoch records, next to the file.
            Knot.Reporting.RunRecordFile.Write(Knot.Reporting.RunRecordFile.PathFor(p.GetValue(output)!), Knot.Reporting.DcRunRecord.Create(result, summary, p.GetValue(c.From)!));
            if (o.Json) o.WriteJson(summary);
            else Render(o, result);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static JsonObject Summary(DeepCompressionResult r) => new()
    {
        ["test_accuracy"] = r.FineTunedAccuracy,
        ["stages"] = new JsonObject
        {
            ["original"] = r.OriginalAccuracy, ["pruned"] = r.PrunedAccuracy, ["retrained"] = r.RetrainedAccuracy,
            ["quantized"] = r.QuantizedAccuracy, ["fine_tuned"] = r.FineTunedAccuracy,
        },
        ["ratio"] = r.Ratio, ["file_bytes"] = r.FileBytes, ["dense_bytes"] = r.DenseBytes,
        ["paper_ratio_pq"] = r.PaperRatioPQ, ["paper_ratio_pqh"] = r.PaperRatioPQH, ["out"] = r.OutPath,
        ["layers"] = new JsonArray(r.Layers.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name, ["weights"] = l.Weights, ["nonzero"] = l.NonZeros, ["density"] = l.Density, ["bits"] = l.Bits, ["index_bits"] = l.IndexBits,
            ["paper_bits_pq"] = l.PrunedQuantized.TotalBits, ["paper_bits_pqh"] = l.PrunedQuantizedHuffman.TotalBits,
            ["encoding"] = l.Encoding, ["file_payload_bytes"] = l.FileBytes,
        }).ToArray()),
    };

    private static void Render(Output o, DeepCompressionResult r)
    {
        var table = new Table().AddColumns("layer", "weights", "density", "bits", "P+Q bytes", "P+Q+H bytes", "encoding", "file bytes");
        foreach (var l in r.Layers)
            table.AddRow(l.Name, $"{l.Weights:N0}", $"{l.Density:P1}", l.Bits.ToString(CultureInfo.InvariantCulture), $"{l.PrunedQuantized.TotalBits / 8:N0}",
                $"{l.PrunedQuantizedHuffman.TotalBits / 8:N0}", Markup.Escape(l.Encoding), $"{l.FileBytes:N0}");
        o.Console.Write(table);
        o.Console.MarkupLine($"Test accuracy: original {r.OriginalAccuracy:P2}, pruned {r.PrunedAccuracy:P2}, retrained {r.RetrainedAccuracy:P2}, quantized {r.QuantizedAccuracy:P2}, fine-tuned [bold green]{r.FineTunedAccuracy:P2}[/]");
        o.Console.MarkupLine($"File {r.FileBytes:N0} bytes vs {r.DenseBytes:N0} dense: ratio [bold]{r.Ratio:F1}×[/] (paper accounting: P+Q {r.PaperRatioPQ:F1}×, P+Q+Huffman {r.PaperRatioPQH:F1}×)");
    }
}
