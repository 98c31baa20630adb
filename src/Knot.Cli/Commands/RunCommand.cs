using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Autograd;
using Knot.Data;
using Knot.Inference;
using Knot.Storage.Models;
using Knot.Tensors;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>
/// `knot run FILE.knot --data SPEC`: compressed inference over the test set with its throughput next to the same
/// network decoded to dense weights (engine GEMM). Timings are the best of a few passes; other processes sharing the
/// CPU make them noisy, so compare ratios measured in one invocation.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A compressed .knot model." };
        var data = CommonOptions.Data();
        var batch = new Option<int>("--batch-size") { Description = "Samples per inference batch.", DefaultValueFactory = _ => 1000 };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes over the test set (the best one counts).", DefaultValueFactory = _ => 3 };
        var json = CommonOptions.Json();
        var threads = CommonOptions.Threads();
        var baseline = new Option<string?>("--baseline") { Description = "Also time this checkpoint's dense network (e.g. the uncompressed model the file came from), to measure what removing units/channels bought." };
        var command = new Command("run", "Compressed inference over a test set: accuracy, and samples/s against the decoded dense model.") { file, data, batch, repeats, json, threads, baseline };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            int batchSize = p.GetValue(batch), passes = p.GetValue(repeats);
            CommonOptions.RequirePositive(batchSize, "--batch-size");
            CommonOptions.RequirePositive(passes, "--repeats");
            string path = p.GetValue(file)!;
            if (!KnotFiles.IsKnotFile(path)) throw new InvalidDataException($"{Path.GetFileName(path)}: not a .knot file (knot run needs a compressed model; use knot pack first).");
            var spec = CommonOptions.ParseData(p.GetValue(data));
            var compressed = CompressedModel.Load(path);
            var test = spec.Load(DataSplit.Test);
            if (compressed.Spec is { } s) TrainingRun.CheckDataFitsModel(s, test);
            var dense = KnotModelFile.FromFile(compressed.File, Path.GetFileName(path)).Model;
            string? baselinePath = p.GetValue(baseline);
            var original = baselinePath is null ? null : ModelCheckpoint.Load(baselinePath);
            if (original is not null) TrainingRun.CheckDataFitsModel(original.Spec, test);
            var result = CompressedEvaluator.Evaluate(compressed, test, batchSize);
            var denseResult = Evaluator.Evaluate(dense, test, batchSize);
            var arena = new TensorArena();
            Func<Tensor, Tensor> DenseForward(Knot.Nn.Module model) => x =>
            {
                arena.Reset();
                using var scope = arena.Activate();
                using var noGrad = GradMode.NoGrad();
                return model.Forward(x);
            };
            EvaluationResult? baselineResult = null;
            var forwards = new List<Func<Tensor, Tensor>> { compressed.Forward, DenseForward(dense) };
            if (original is not null)
            {
                original.Model.Eval();
                baselineResult = Evaluator.Evaluate(original.Model, test, batchSize);
                forwards.Add(DenseForward(original.Model));
            }
            // One interleaved measurement: the ratios compare passes taken under the same load.
            var rates = CompressedEvaluator.Throughputs(forwards, test, batchSize, passes);
            double compressedRate = rates[0], denseRate = rates[1], baselineRate = original is null ? double.NaN : rates[2];
            if (o.Json)
            {
                o.WriteJson(new JsonObject
                {
                    ["test_accuracy"] = result.Accuracy, ["dense_test_accuracy"] = denseResult.Accuracy, ["samples"] = result.Samples,
                    ["compressed_samples_per_second"] = compressedRate, ["dense_samples_per_second"] = denseRate, ["speedup"] = compressedRate / denseRate,
                    ["threads"] = Knot.Kernels.Parallelism.ThreadCount,
                    ["kernels"] = new JsonObject(compressed.LinearKernels.Select(k => KeyValuePair.Create(k.Layer, (JsonNode?)k.Kernel))),
                    ["baseline"] = original is null ? null : new JsonObject
                    {
                        ["path"] = original.Path, ["test_accuracy"] = baselineResult!.Value.Accuracy, ["samples_per_second"] = baselineRate,
                        ["parameters"] = original.Model.ParameterCount(), ["speedup"] = compressedRate / baselineRate,
                    },
                });
            }
            else
            {
                o.Console.MarkupLine($"Compressed inference: test accuracy [bold green]{result.Accuracy:P2}[/] (decoded dense: {denseResult.Accuracy:P2}) on {result.Samples} samples");
                o.Console.MarkupLine($"Throughput: compressed {compressedRate:N0}/s, dense {denseRate:N0}/s, ratio [bold]{compressedRate / denseRate:F2}×[/] ({Knot.Kernels.Parallelism.ThreadCount} threads; shared CPU, noisy)");
                foreach (var (layer, kernel) in compressed.LinearKernels) o.Console.MarkupLine($"  {Markup.Escape(layer)}: {Markup.Escape(kernel)}");
                if (original is not null)
                    o.Console.MarkupLine($"Baseline {Markup.Escape(Path.GetFileName(original.Path))} ({original.Model.ParameterCount():N0} parameters): test accuracy {baselineResult!.Value.Accuracy:P2}, " +
                        $"{baselineRate:N0}/s; compressed file [bold]{compressedRate / baselineRate:F2}×[/] its throughput");
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
