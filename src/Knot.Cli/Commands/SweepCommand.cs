using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Knot.Comparison;
using Knot.Models;
using Knot.Tensors;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>`knot sweep`: walk a regularization strength (warm-started) until the packed file hits a size or the accuracy floor is met with the smallest file.</summary>
public static class SweepCommand
{
    /// <summary>Start λ per regularizer for a pretrained lenet-300-100 and 2 epochs per point at lr 0.02 (docs/compare-sweep.md).</summary>
    private static double DefaultStart(string reg) => reg == "l1" ? 1 : 30;

    public static Command Create()
    {
        var d = new SweepRequest { Spec = new ModelSpec("x"), DataSpec = "x", OutDirectory = "x", Target = new SweepTarget.MinAccuracy(1) };
        var model = new Option<string>("--model") { Description = $"Network: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.", Required = true };
        var data = CommonOptions.Data();
        var reg = new Option<string>("--reg") { Description = "Regularizer to sweep: growl (Λ2 = ratio × Λ1), group-lasso or l1.", Required = true };
        var targetBytes = new Option<long?>("--target-bytes") { Description = "Hit this .knot size (within --tolerance)." };
        var targetRatio = new Option<double?>("--target-ratio") { Description = "Hit dense bytes / this ratio (within --tolerance)." };
        var minAccuracy = new Option<double?>("--min-accuracy") { Description = "Find the smallest file with at least this test accuracy (0.98 or 98)." };
        var tolerance = new Option<double>("--tolerance") { Description = "Relative size tolerance of a hit.", DefaultValueFactory = _ => 0.10 };
        var output = new Option<string>("--out") { Description = "Output directory: sweep.json, sweep.md, chosen.knot, chosen.ckpt.", Required = true };
        var perPoint = new Option<int>("--epochs-per-point") { Description = "Training epochs of each point, continuing from an earlier point.", DefaultValueFactory = _ => d.EpochsPerPoint };
        var from = new Option<string?>("--from") { Description = "Checkpoint the first point continues from (recommended: a trained baseline); default: a fresh network." };
        var start = new Option<double?>("--lambda-start") { Description = "λ of the first point (default: 30 for growl and group-lasso, 1 for l1; per-epoch units)." };
        var factor = new Option<double>("--factor") { Description = "λ multiplier between bracketing points.", DefaultValueFactory = _ => d.Search.Factor };
        var maxPoints = new Option<int>("--max-points") { Description = "Points at most.", DefaultValueFactory = _ => d.Search.MaxPoints };
        var ratio2 = new Option<double>("--lambda2-ratio") { Description = "GrOWL: Λ2 / Λ1.", DefaultValueFactory = _ => d.Lambda2Ratio };
        var layers = new Option<string?>("--layers") { Description = "Comma-separated weights to regularize (e.g. fc1,fc2); default: every FC/conv layer with ≥ 2 inputs." };
        var lr = new Option<float>("--lr") { Description = "SGD learning rate of each point (cosine over the point's epochs).", DefaultValueFactory = _ => d.LearningRate };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var batch = CommonOptions.BatchSize(d.BatchSize);
        var json = CommonOptions.Json();
        var command = new Command("sweep", "Walk a regularization strength, warm-started, bracketing then bisecting in log λ, until the packed .knot file " +
            $"is within the tolerance of a target size (or the accuracy floor is met with the smallest file). Exit code {ExitCodes.TargetNotReached} when the target is not reached.");
        foreach (var o in new Option[] { model, data, reg, targetBytes, targetRatio, minAccuracy, tolerance, output, perPoint, from, start, factor, maxPoints, ratio2, layers, lr, seed, threads, batch, json })
            command.Options.Add(o);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            string name = p.GetValue(model)!, regularizer = p.GetValue(reg)!.ToLowerInvariant();
            if (!ModelZoo.Names.Contains(name)) throw new UsageException($"--model: unknown model '{name}'. Known: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.");
            if (!SweepRequest.Regularizers.Contains(regularizer)) throw new UsageException($"--reg must be one of {string.Join(", ", SweepRequest.Regularizers)}, got '{regularizer}'.");
            long? bytes = p.GetValue(targetBytes);
            double? ratio = p.GetValue(targetRatio), accuracy = p.GetValue(minAccuracy);
            int given = (bytes is null ? 0 : 1) + (ratio is null ? 0 : 1) + (accuracy is null ? 0 : 1);
            if (given != 1) throw new UsageException($"Give exactly one of --target-bytes, --target-ratio, --min-accuracy (got {given}).");
            double tol = p.GetValue(tolerance);
            if (!(tol > 0 && tol < 1)) throw new UsageException($"--tolerance must be in (0, 1), got {tol}.");
            if (bytes is < 1) throw new UsageException($"--target-bytes must be >= 1, got {bytes}.");
            if (ratio is not null && !(ratio > 0 && double.IsFinite(ratio.Value))) throw new UsageException($"--target-ratio must be > 0, got {ratio}.");
            if (accuracy is double a && a > 1 && a <= 100) accuracy = a / 100;
            if (accuracy is not null && !(accuracy > 0 && accuracy <= 1)) throw new UsageException($"--min-accuracy must be in (0, 1] (or a percentage), got {p.GetValue(minAccuracy)}.");
            string? fromPath = p.GetValue(from);
            if (fromPath is not null && !File.Exists(fromPath)) throw new FileNotFoundException($"--from: checkpoint '{fromPath}' does not exist.", fromPath);

            string dataText = p.GetValue(data)!;
            var (train, test) = TrainingOptions.LoadData(dataText);
            var s = train.ImageShape;
            var spec = new ModelSpec(name, 1f, s[0], s.Rank > 1 ? s[1] : 1, s.Rank > 2 ? s[2] : 1, Math.Max(10, train.ClassCount));
            long denseBytes = 4 * ModelZoo.Create(spec, new KnotRandom(0)).ParameterCount();
            SweepTarget target = accuracy is double acc ? new SweepTarget.MinAccuracy(acc)
                : new SweepTarget.Bytes(bytes ?? (long)Math.Round(denseBytes / ratio!.Value), tol);
            var request = new SweepRequest
            {
                Spec = spec, DataSpec = dataText, OutDirectory = p.GetValue(output)!, Target = target, Regularizer = regularizer, Lambda2Ratio = p.GetValue(ratio2),
                EpochsPerPoint = p.GetValue(perPoint), Seed = p.GetValue(seed), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), FromCheckpoint = fromPath,
                Layers = p.GetValue(layers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Search = new SweepSearchOptions { StartLambda = p.GetValue(start) ?? DefaultStart(regularizer), Factor = p.GetValue(factor), MaxPoints = p.GetValue(maxPoints) },
            };
            try
            {
                request.Validate();
                request.RegularizerAt(request.Search.StartLambda).Targets(spec.Name, ModelZoo.Create(spec, new KnotRandom(0)));
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            o.Info($"Sweeping {regularizer} λ on [bold]{spec.Name}[/] for {Markup.Escape(target.ToString())} (dense {denseBytes:N0} bytes), {request.EpochsPerPoint} epochs per point, at most {request.Search.MaxPoints} points");
            string invocation = "knot " + string.Join(" ", p.Tokens.Select(t => t.Value.Any(char.IsWhiteSpace) ? $"'{t.Value}'" : t.Value));
            var result = o.WithProgress("sweep", progress => SweepRunner.Run(request, train, test, progress, line => o.Console.MarkupLine(Markup.Escape(line)), invocation));
            if (o.Json) o.WriteJson(Summary(result));
            else Render(o, result);
            if (!result.Outcome.Success)
            {
                Console.Error.WriteLine($"knot: target not reached: {result.Outcome.Message}");
                return ExitCodes.TargetNotReached;
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static JsonObject Summary(SweepResult r)
    {
        var c = r.Chosen;
        return new JsonObject
        {
            ["success"] = r.Outcome.Success, ["message"] = r.Outcome.Message, ["points"] = r.Points.Count,
            ["chosen"] = new JsonObject
            {
                ["index"] = c.Step.Index, ["lambda"] = c.Step.Lambda, ["bytes"] = c.Step.Measurement.Bytes, ["ratio"] = c.Ratio,
                ["test_accuracy"] = c.Step.Measurement.Accuracy, ["sparsity"] = c.ZeroWeightFraction, ["total_epochs"] = c.TotalEpochs,
                ["knot"] = r.ChosenKnot, ["checkpoint"] = r.ChosenCheckpoint,
            },
            ["sweep"] = Path.Combine(r.Request.OutDirectory, "sweep.json"),
        };
    }

    private static void Render(Output o, SweepResult r)
    {
        var table = new Table().AddColumns("point", "phase", "λ", "from", "bytes", "ratio", "test acc", "zero weights");
        foreach (var p in r.Points)
            table.AddRow(p.Step.Index.ToString(CultureInfo.InvariantCulture), p.Step.Phase, p.Step.Lambda.ToString("G4", CultureInfo.InvariantCulture),
                p.Step.From < 0 ? "start" : p.Step.From.ToString(CultureInfo.InvariantCulture), $"{p.Step.Measurement.Bytes:N0}", $"{p.Ratio:F1}×",
                $"{p.Step.Measurement.Accuracy:P2}", $"{p.ZeroWeightFraction:P1}");
        o.Console.Write(table);
        var c = r.Chosen;
        o.Console.MarkupLine($"{(r.Outcome.Success ? "[bold green]Chosen[/]" : "[bold yellow]Closest[/]")}: point {c.Step.Index}, λ {c.Step.Lambda.ToString("G4", CultureInfo.InvariantCulture)}, " +
            $"{c.Step.Measurement.Bytes:N0} bytes ({c.Ratio:F1}×), test accuracy {c.Step.Measurement.Accuracy:P2} → {Markup.Escape(r.ChosenKnot ?? "")}");
    }
}
