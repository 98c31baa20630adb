using System.CommandLine;
using System.Globalization;
using Knot.Comparison;
using Knot.Compression.DeepCompression;
using Knot.Data;
using Knot.Models;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>`knot compare`: several compression methods on one model and dataset, each measured on a real .knot file.</summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var d = new ComparisonSettings();
        var model = new Option<string>("--model") { Description = $"Network: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.", Required = true };
        var data = CommonOptions.Data();
        var output = new Option<string>("--out") { Description = "Output directory: compare.json, compare.md and one directory of artifacts per method.", Required = true };
        var methods = new Option<string?>("--methods") { Description = $"Comma-separated methods (default: all): {string.Join(", ", ComparisonMethods.Names)}." };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of every method trained from scratch (baseline, weight decay, group Lasso, GrOWL stage 1).", DefaultValueFactory = _ => d.Epochs };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var batch = CommonOptions.BatchSize(d.BatchSize);
        var lr = new Option<float>("--lr") { Description = "SGD learning rate of the methods trained from scratch (cosine schedule).", DefaultValueFactory = _ => d.LearningRate };
        var from = new Option<string?>("--from") { Description = "A trained checkpoint to use as the baseline and as the start of dc and sws (instead of training one)." };
        var collect = new Option<bool>("--collect") { Description = "Run nothing: measure the finished artifacts already in --out (methods without one are left out)." };
        var force = new Option<bool>("--force") { Description = "Run every method again, even those with a finished artifact made by the same command." };
        var weightDecay = new Option<float>("--weight-decay") { Description = "ℓ2 weight decay of the weight-decay row.", DefaultValueFactory = _ => d.WeightDecay };
        var glLambda = new Option<double>("--group-lasso-lambda") { Description = "Group Lasso λ (per-epoch units, prox every step, all FC layers).", DefaultValueFactory = _ => d.GroupLassoLambda };
        var growlL1 = new Option<double>("--growl-lambda1") { Description = "GrOWL Λ1 (PLD, ρ 0.5, per-epoch units, prox every step, all FC layers).", DefaultValueFactory = _ => d.GrowlLambda1 };
        var growlL2 = new Option<double>("--growl-lambda2") { Description = "GrOWL Λ2.", DefaultValueFactory = _ => d.GrowlLambda2 };
        var retrain = new Option<int>("--retrain-epochs") { Description = "GrOWL: epochs of retraining with the structure enforced.", DefaultValueFactory = _ => d.GrowlRetrainEpochs };
        var dcRetrain = new Option<int>("--dc-retrain-epochs") { Description = "Deep Compression: retraining epochs after pruning.", DefaultValueFactory = _ => d.DcRetrainEpochs };
        var dcFineTune = new Option<int>("--dc-finetune-epochs") { Description = "Deep Compression: centroid fine-tuning epochs.", DefaultValueFactory = _ => d.DcFineTuneEpochs };
        var dcSparsity = new Option<string?>("--dc-sparsity") { Description = "Deep Compression per-layer sparsity, e.g. fc1=0.93,fc2=0.92,fc3=0.75 (default: that for lenet-300-100, the paper's for lenet-5-caffe)." };
        var swsEpochs = new Option<int>("--sws-epochs") { Description = "Soft weight-sharing: retraining epochs under the prior.", DefaultValueFactory = _ => d.SwsEpochs };
        var swsTau = new Option<float>("--sws-tau") { Description = "Soft weight-sharing: τ.", DefaultValueFactory = _ => d.SwsTau };
        var json = CommonOptions.Json();
        var command = new Command("compare", "Run (or collect) several compression methods on one model and dataset; write compare.json and compare.md " +
            "with each method's test accuracy and real .knot file size. Finished methods are reused when re-run with the same settings (resume).");
        foreach (var o in new Option[] { model, data, output, methods, epochs, seed, threads, batch, lr, from, collect, force, weightDecay, glLambda, growlL1, growlL2,
                     retrain, dcRetrain, dcFineTune, dcSparsity, swsEpochs, swsTau, json })
            command.Options.Add(o);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            if (p.GetValue(collect) && p.GetValue(force)) throw new UsageException("Give either --collect (run nothing) or --force (run everything), not both.");
            var policy = p.GetValue(collect) ? ArtifactPolicy.Collect : p.GetValue(force) ? ArtifactPolicy.Force : ArtifactPolicy.Resume;
            var methodList = Usage(() => ComparisonMethods.Parse(p.GetValue(methods)));
            var settings = new ComparisonSettings
            {
                Epochs = p.GetValue(epochs), Seed = p.GetValue(seed), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), WeightDecay = p.GetValue(weightDecay),
                GroupLassoLambda = p.GetValue(glLambda), GrowlLambda1 = p.GetValue(growlL1), GrowlLambda2 = p.GetValue(growlL2), GrowlRetrainEpochs = p.GetValue(retrain),
                DcRetrainEpochs = p.GetValue(dcRetrain), DcFineTuneEpochs = p.GetValue(dcFineTune), DcPruning = ParseSparsity(p.GetValue(dcSparsity)),
                SwsEpochs = p.GetValue(swsEpochs), SwsTau = p.GetValue(swsTau),
            };
            Usage(settings.Validate);
            string name = p.GetValue(model)!;
            if (!ModelZoo.Names.Contains(name)) throw new UsageException($"--model: unknown model '{name}'. Known: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.");
            string? fromPath = p.GetValue(from);
            if (fromPath is not null && !File.Exists(fromPath)) throw new FileNotFoundException($"--from: checkpoint '{fromPath}' does not exist.", fromPath);
            string dataText = p.GetValue(data)!;
            var (train, test) = TrainingOptions.LoadData(dataText);
            var s = train.ImageShape;
            var spec = new ModelSpec(name, 1f, s[0], s.Rank > 1 ? s[1] : 1, s.Rank > 2 ? s[2] : 1, Math.Max(10, train.ClassCount));
            var context = new ComparisonContext(spec, dataText, train, test, p.GetValue(output)!, settings, fromPath);
            o.Info($"Comparing {string.Join(", ", methodList.Select(m => m.Name))} on [bold]{spec.Name}[/] / {Markup.Escape(dataText)} into {Markup.Escape(context.OutDirectory)}");
            string invocation = "knot " + string.Join(" ", p.Tokens.Select(t => Quote(t.Value)));
            var table = o.WithProgress("compare", progress =>
            {
                context.Progress = progress;
                return ComparisonRunner.Run(context, methodList, policy, line => o.Console.MarkupLine(Markup.Escape(line)), invocation);
            });
            if (o.Json) o.WriteJson(table.ToJson());
            else Render(o, table, context.OutDirectory);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static T Usage<T>(Func<T> f)
    {
        try { return f(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    private static void Usage(Action f) => Usage(() => { f(); return 0; });

    private static string Quote(string token) => token.Any(char.IsWhiteSpace) ? $"'{token}'" : token;

    private static IReadOnlyDictionary<string, PruningRule>? ParseSparsity(string? text)
    {
        if (text is null) return null;
        var rules = new Dictionary<string, PruningRule>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v >= 0 && v < 1))
                throw new UsageException($"--dc-sparsity: '{part}' is not layer=fraction with a fraction in [0, 1).");
            rules[part[..eq]] = PruningRule.BySparsity(v);
        }
        if (rules.Count == 0) throw new UsageException("--dc-sparsity needs at least one layer=fraction.");
        return rules;
    }

    private static void Render(Output o, ComparisonTable t, string dir)
    {
        var frontier = ComparisonWriter.ParetoFrontier(t.Rows);
        var table = new Table().AddColumns("method", "test acc", "error", "file bytes", "ratio", "non-zero", "distinct", "epochs", "Pareto");
        foreach (var r in t.Rows)
            table.AddRow(r.Method, $"{r.TestAccuracy:P2}", $"{r.TestError:P2}", $"{r.FileBytes:N0}", $"{r.Ratio:F1}×", $"{r.NonZeroFraction:P2}",
                r.DistinctValues?.ToString("N0", CultureInfo.InvariantCulture) ?? "–", Markup.Escape(r.Epochs), frontier.Contains(r) ? "✓" : "");
        o.Console.Write(table);
        o.Console.MarkupLine($"Dense model {t.DenseBytes:N0} bytes. Wrote {Markup.Escape(Path.Combine(dir, ComparisonWriter.JsonName))} and {Markup.Escape(Path.Combine(dir, ComparisonWriter.MarkdownName))}.");
    }
}
