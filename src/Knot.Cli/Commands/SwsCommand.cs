using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Compression.Accounting;
using Knot.Compression.Growl;
using Knot.Compression.SoftSharing;
using Spectre.Console;

namespace Knot.Cli.Commands;

public static class SwsCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Pretrained model checkpoint to compress.", Required = true };
        var data = CommonOptions.Data();
        var epochs = new Option<int>("--epochs") { Description = "Retraining epochs with the mixture prior.", DefaultValueFactory = _ => 10 };
        var shift = CommonOptions.Shift("while retraining under the prior");
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var output = new Option<string>("--out") { Description = "The .knot file to write (a Knot checkpoint of the quantized model goes next to it as .ckpt).", Required = true };
        var tau = new Option<float>("--tau") { Description = "Weight τ of the complexity loss (batch objective CE + τ/N·L_C).", DefaultValueFactory = _ => 0.003f };
        var tauWarmup = new Option<int>("--tau-warmup") { Description = "Epochs over which τ ramps up linearly.", DefaultValueFactory = _ => 0 };
        var components = new Option<int>("--components") { Description = "Learned mixture components J (the zero component comes on top).", DefaultValueFactory = _ => 16 };
        var pi0 = new Option<double>("--pi0") { Description = "Mixing proportion of the zero component (fixed, or initial with --learn-pi0).", DefaultValueFactory = _ => 0.999 };
        var learnPi0 = new Option<bool>("--learn-pi0") { Description = "Learn π0 (with a Beta hyper-prior) instead of keeping it fixed." };
        var batch = CommonOptions.BatchSize(256);
        var lr = new Option<float>("--lr") { Description = "Adam learning rate of the network weights.", DefaultValueFactory = _ => 5e-4f };
        var schedule = new Option<string>("--lr-schedule") { Description = "Schedule of the weights' learning rate: constant, step:EVERY:GAMMA, exp:GAMMA or cosine[:MIN].", DefaultValueFactory = _ => "constant" };
        var meanLr = new Option<float>("--mean-lr") { Description = "Adam learning rate of the component means.", DefaultValueFactory = _ => 1e-4f };
        var precisionLr = new Option<float>("--precision-lr") { Description = "Adam learning rate of the log-precisions.", DefaultValueFactory = _ => 3e-3f };
        var mixingLr = new Option<float>("--mixing-lr") { Description = "Adam learning rate of the mixing proportions.", DefaultValueFactory = _ => 3e-3f };
        var assign = new Option<string>("--assign") { Description = "Snap each weight to the component of largest responsibility (map) or likelihood (ml).", DefaultValueFactory = _ => "map" };
        var mergeKl = new Option<double>("--merge-kl") { Description = "Merge components whose KL divergence is below this.", DefaultValueFactory = _ => MixtureMerging.TutorialKlThreshold };
        var biases = new Option<bool>("--include-biases") { Description = "Put the biases under the prior too (default: weights of rank >= 2 only)." };
        var saveRetrained = new Option<string?>("--save-retrained") { Description = "Also save the retrained model before quantization, with its trained prior (re-quantize later with --from it --epochs 0)." };
        var structureFile = new Option<string?>("--structure") { Description = "GrOWL structure (structure.json of `knot growl`/`knot tie`) to keep while quantizing: the combined pipeline. Default: the structure stored in the --from checkpoint (GrOWL's retrained.ckpt carries it), if any." };
        var noStructure = new Option<bool>("--no-structure") { Description = "Ignore a structure stored in the --from checkpoint (plain soft weight-sharing of the dense model)." };
        var biasBits = CommonOptions.BiasBits();
        var json = CommonOptions.Json();
        var command = new Command("sws", "Soft weight-sharing: retrain a pretrained network under a Gaussian-mixture prior, then quantize it to the mixture's means.");
        foreach (var o in new Option[] { from, data, epochs, shift, seed, threads, output, tau, tauWarmup, components, pi0, learnPi0, batch, lr, schedule, meanLr, precisionLr, mixingLr, assign, mergeKl, biases, biasBits, saveRetrained, structureFile, noStructure, json })
            command.Options.Add(o);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            int epochCount = p.GetValue(epochs);
            CommonOptions.RequireNonNegative(epochCount, "--epochs");
            CommonOptions.RequirePositive(p.GetValue(batch), "--batch-size");
            CommonOptions.RequirePositive(p.GetValue(components), "--components");
            CommonOptions.RequireNonNegative(p.GetValue(tauWarmup), "--tau-warmup");
            int shiftPixels = CommonOptions.ParseShift(p.GetValue(shift));
            var rule = p.GetValue(assign)!.ToLowerInvariant() switch
            {
                "map" => ComponentAssignment.MaximumAPosteriori,
                "ml" => ComponentAssignment.MaximumLikelihood,
                var other => throw new UsageException($"--assign must be map or ml, got '{other}'."),
            };
            string from_ = p.GetValue(from)!;
            if (!File.Exists(from_)) throw new UsageException($"--from: file '{from_}' does not exist.");
            var (structure, structureSource) = ResolveStructure(from_, p.GetValue(structureFile), p.GetValue(noStructure));
            var request = new SoftSharingRequest
            {
                CheckpointPath = from_, OutPath = p.GetValue(output)!, Epochs = epochCount, BatchSize = p.GetValue(batch),
                LearningRate = p.GetValue(lr), Schedule = p.GetValue(schedule)!, Seed = p.GetValue(seed), ShiftPixels = shiftPixels, Tau = p.GetValue(tau), TauWarmupEpochs = p.GetValue(tauWarmup),
                Prior = new GaussianMixturePriorOptions { LearnedComponents = p.GetValue(components), ZeroMixing = p.GetValue(pi0), LearnZeroMixing = p.GetValue(learnPi0) },
                MeanLearningRate = p.GetValue(meanLr), LogPrecisionLearningRate = p.GetValue(precisionLr), MixingLearningRate = p.GetValue(mixingLr),
                Assignment = rule, MergeKlThreshold = p.GetValue(mergeKl), IncludeBiases = p.GetValue(biases), RetrainedPath = p.GetValue(saveRetrained),
                Structure = structure, BiasBits = CommonOptions.ParseBiasBits(p, biasBits),
            };
            try { request.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var (train, test) = TrainingOptions.LoadData(p.GetValue(data));
            o.Info($"Soft weight-sharing on [bold]{Markup.Escape(Path.GetFileName(request.CheckpointPath))}[/]: τ {request.Tau}, J {request.Prior.LearnedComponents}, π0 {request.Prior.ZeroMixing}, {request.Epochs} epochs" + (request.ShiftPixels > 0 ? $", shift {request.ShiftPixels} px" : "") +
                (structure is null ? "" : $"; keeping the GrOWL structure of {Markup.Escape(structureSource!)}"));
            var result = o.WithProgress("sws", progress => SoftSharingPipeline.Run(request, train, test, progress));
            var summary = Summary(result);
            if (structureSource is not null) summary["growl"]!["structure_source"] = structureSource;
            // For `knot report F.knot`: histograms and mixtures before/after retraining, next to the file.
            Knot.Reporting.RunRecordFile.Write(Knot.Reporting.RunRecordFile.PathFor(request.OutPath), Knot.Reporting.SwsRunRecord.Create(result, summary, request.CheckpointPath));
            if (o.Json) o.WriteJson(summary);
            else Render(o, result);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// The structure to keep: an explicit --structure file wins; otherwise the one stored in the checkpoint's metadata
    /// (what `knot growl` and `knot retrain` write) unless --no-structure. A structure.json lying next to the checkpoint
    /// is not picked up silently: stage1.ckpt sits next to it too, and only the retrained checkpoint satisfies it.
    /// </summary>
    private static (List<LayerStructure>? Structure, string? Source) ResolveStructure(string checkpoint, string? file, bool ignoreStored)
    {
        if (file is not null)
        {
            if (ignoreStored) throw new UsageException("--structure and --no-structure contradict each other; give one.");
            if (!File.Exists(file)) throw new UsageException($"--structure: file '{file}' does not exist.");
            return (GrowlStructure.FromJson(File.ReadAllText(file), Path.GetFileName(file)), file);
        }
        if (ignoreStored) return (null, null);
        var stored = SoftSharingPipeline.StructureOf(checkpoint);
        return stored is null ? (null, null) : (stored, checkpoint + " (metadata)");
    }

    public static JsonObject Summary(SoftSharingResult r)
    {
        var q = r.Quantization;
        var summary = new JsonObject
        {
            ["model"] = r.Spec.Name,
            ["test_accuracy"] = r.Quantized?.Accuracy,
            ["test_loss"] = r.Quantized?.Loss,
            ["accuracy_pretrained"] = r.Pretrained?.Accuracy,
            ["accuracy_retrained"] = r.Retrained?.Accuracy,
            ["nonzero_fraction"] = r.NonZeroFraction,
            ["nonzero_weights"] = q.NonZeroCount,
            ["quantized_weights"] = q.WeightCount,
            ["codebook_size"] = q.Codebook.Length,
            ["distinct_values"] = q.DistinctValues,
            ["codebook"] = new JsonArray(q.Codebook.Select(v => (JsonNode)v).ToArray()),
            ["components"] = r.Components.Length,
            ["merged_components"] = r.MergedComponents.Length,
            ["mixture"] = new JsonArray(r.MergedComponents.Select(c => (JsonNode)new JsonObject { ["mean"] = c.Mean, ["sigma"] = c.StandardDeviation, ["pi"] = c.Mixing }).ToArray()),
            ["ratio"] = r.FileRatio,
            ["file_bytes"] = r.FileBytes,
            ["dense_bytes"] = r.DenseBytes,
            ["paper_ratio"] = r.PaperStorage.CompressionRatio,
            ["paper_ratio_huffman"] = r.PaperStorageHuffman.CompressionRatio,
            ["paper_layers"] = new JsonArray(r.PaperStorage.Layers.Zip(r.PaperStorageHuffman.Layers).Select(l => (JsonNode)Layer(l.First, l.Second)).ToArray()),
            ["seconds"] = Math.Round(r.Seconds, 3),
            ["out"] = r.KnotPath,
            ["checkpoint"] = r.CheckpointPath,
            ["history"] = new JsonArray(r.History.Select(h =>
            {
                var e = new JsonObject
                {
                    ["epoch"] = h.Epoch, ["train_loss"] = h.TrainLoss, ["train_accuracy"] = h.TrainAccuracy,
                    ["test_accuracy"] = h.TestAccuracy, ["seconds"] = Math.Round(h.Seconds, 3),
                };
                foreach (var (k, v) in h.Extra) e[k] = v;
                return (JsonNode)e;
            }).ToArray()),
        };
        if (r.Growl is { } g)
        {
            summary["growl"] = new JsonObject
            {
                ["covered_weights"] = g.CoveredWeights,
                ["distinct_weights"] = g.DistinctWeights,
                ["distinct_nonzero_fraction"] = q.NonZeroFraction,
                ["parameters"] = g.Parameters,
                ["stored_parameters"] = g.StoredParameters,
                ["removed_outputs"] = new JsonObject(g.RemovedOutputs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["layers"] = new JsonArray(g.Layers.Select(l => (JsonNode)new JsonObject
                {
                    ["name"] = l.Name, ["shape"] = new JsonArray(l.Shape.Select(d => (JsonNode)d).ToArray()),
                    ["groups"] = l.Metrics.Groups, ["zero_groups"] = l.Metrics.ZeroGroups, ["clusters"] = l.Metrics.Clusters,
                    ["sparsity"] = l.Metrics.Sparsity, ["sharing"] = l.Metrics.ParameterSharing, ["compression"] = l.Metrics.Compression,
                }).ToArray()),
            };
        }
        return summary;
    }

    private static JsonObject Layer(LayerStorage pq, LayerStorage pqh) => new()
    {
        ["name"] = pq.Name, ["weights"] = pq.Weights, ["nonzeros"] = pq.NonZeros, ["fillers"] = pq.Fillers,
        ["density"] = pq.Weights == 0 ? 0 : (double)pq.NonZeros / pq.Weights, ["pq_bits"] = pq.TotalBits, ["pq_ratio"] = pq.CompressionRatio,
        ["pqh_bits"] = pqh.TotalBits, ["pqh_ratio"] = pqh.CompressionRatio,
    };

    private static void Render(Output o, SoftSharingResult r)
    {
        var table = new Table().AddColumns("layer", "weights", "non-zero", "P+Q ratio", "P+Q+H ratio");
        foreach (var (pq, pqh) in r.PaperStorage.Layers.Zip(r.PaperStorageHuffman.Layers))
            table.AddRow(pq.Name, pq.Weights.ToString("N0"), $"{(double)pq.NonZeros / Math.Max(1, pq.Weights):P2}", $"{pq.CompressionRatio:F1}×", $"{pqh.CompressionRatio:F1}×");
        o.Console.Write(table);
        if (r.Growl is { } g)
        {
            var structure = new Table().AddColumns("GrOWL layer", "groups", "zero", "clusters", "compression");
            foreach (var l in g.Layers)
                structure.AddRow(l.Name, l.Metrics.Groups.ToString(), l.Metrics.ZeroGroups.ToString(), l.Metrics.Clusters.ToString(), $"{l.Metrics.Compression:F1}×");
            o.Console.Write(structure);
            o.Console.MarkupLine($"GrOWL structure kept: the prior covered {g.DistinctWeights:N0} distinct of {g.CoveredWeights:N0} weights; " +
                $"the file's network has {g.StoredParameters:N0} of {g.Parameters:N0} parameters.");
        }
        o.Console.MarkupLine($"Test accuracy: pretrained {r.Pretrained?.Accuracy:P2}, retrained {r.Retrained?.Accuracy:P2}, quantized [bold green]{r.Quantized?.Accuracy:P2}[/]; " +
            $"non-zero {r.NonZeroFraction:P2}, codebook {r.Quantization.Codebook.Length} values.");
        o.Console.MarkupLine($"File {Markup.Escape(r.KnotPath)}: {r.FileBytes:N0} bytes, [bold]{r.FileRatio:F1}×[/] smaller than dense float32 ({r.DenseBytes:N0} bytes); " +
            $"paper accounting P+Q {r.PaperStorage.CompressionRatio:F1}×, P+Q+Huffman {r.PaperStorageHuffman.CompressionRatio:F1}×.");
    }
}
