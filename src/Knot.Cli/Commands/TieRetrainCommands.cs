using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Knot.Data;
using Knot.Optim;
using Knot.Storage.Common;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>GrOWL's second stage as separate verbs: `knot tie` finds the structure, `knot retrain` enforces it.</summary>
public static class TieRetrainCommands
{
    public static Command Tie()
    {
        var file = new Argument<string>("checkpoint") { Description = "A checkpoint trained with a group regularizer (e.g. growl's stage1.ckpt)." };
        var layers = new Option<string?>("--layers") { Description = "Comma-separated weights (default: growl-mnist fc1, other nets every FC/conv layer with ≥ 2 inputs)." };
        var output = new Option<string>("--out") { Description = "Structure file to write (JSON: per layer, each input group's cluster or −1 for zero).", Required = true };
        var json = CommonOptions.Json();
        var tying = new TyingCliOptions();
        var command = new Command("tie", "Find zero and tied input groups in a checkpoint (affinity propagation or tolerance) and write them as a structure file.")
        {
            file, layers, output, json,
        };
        tying.AddTo(command);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            var options = tying.Parse(p);
            var loaded = ModelCheckpoint.Load(p.GetValue(file)!);
            var spec = new RegularizerSpec { Layers = p.GetValue(layers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            List<(string, Nn.Parameter)> targets;
            try { targets = spec.Targets(loaded.Spec.Name, loaded.Model); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var structure = GrowlStructure.Discover(targets, options);
            AtomicFile.WriteAllBytes(p.GetValue(output)!, System.Text.Encoding.UTF8.GetBytes(GrowlStructure.ToJson(structure)));
            var layersJson = new JsonArray();
            var table = new Table().AddColumns("layer", "groups", "zero", "clusters", "sparsity", "sharing", "compression", "AP preference");
            var metrics = structure.Select(s => (s.Name, s.ToTieMap().Metrics)).ToList();
            foreach (var (s, (_, m)) in structure.Zip(metrics))
            {
                layersJson.Add(new JsonObject { ["name"] = s.Name, ["groups"] = m.Groups, ["zero_groups"] = m.ZeroGroups, ["clusters"] = m.Clusters, ["sparsity"] = m.Sparsity, ["sharing"] = m.ParameterSharing, ["compression"] = m.Compression, ["preference"] = s.Preference ?? options.Preference, ["merged"] = s.Merged == true });
                table.AddRow(s.Name, m.Groups.ToString(), m.ZeroGroups.ToString(), m.Clusters.ToString(), $"{m.Sparsity:P1}", $"{m.ParameterSharing:F2}", $"{m.Compression:F1}×",
                    options.Method != "ap" ? "–" : GrowlCommand.PreferenceCell(s.Preference, s.Merged == true, $"{options.Preference:G4}"));
            }
            foreach (var warning in GrowlCommand.CollapseWarnings(metrics)) Output.Warn(warning);
            if (o.Json) o.WriteJson(new JsonObject { ["structure"] = p.GetValue(output), ["layers"] = layersJson });
            else o.Console.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command Retrain()
    {
        var file = new Argument<string>("checkpoint") { Description = "The checkpoint to retrain (e.g. growl's stage1.ckpt)." };
        var structureFile = new Option<string>("--structure") { Description = "Structure file written by `knot tie`.", Required = true };
        var data = CommonOptions.Data();
        var epochs = new Option<int>("--epochs") { Description = "Retraining epochs.", DefaultValueFactory = _ => 10 };
        var batch = CommonOptions.BatchSize();
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, adam or adamw.", DefaultValueFactory = _ => "sgd" };
        var lr = new Option<float>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 0.002f };
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9f };
        var l2 = new Option<float>("--l2") { Description = "ℓ2 weight decay (keep it if stage 1 used it).", DefaultValueFactory = _ => 0f };
        var schedule = new Option<string>("--lr-schedule") { Description = "constant, step:EVERY:GAMMA, exp:GAMMA or cosine[:MIN].", DefaultValueFactory = _ => "step:2:0.96" };
        var shift = CommonOptions.Shift("while retraining");
        var distill = new DistillationOptions("while retraining");
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var output = new Option<string>("--out") { Description = "Retrained checkpoint (its metadata keeps the structure, so `knot pack` can finalize it).", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("retrain", "Retrain a checkpoint with zero groups fixed at zero and tied groups trained as one shared vector.")
        {
            file, structureFile, data, epochs, batch, optimizer, lr, momentum, l2, schedule, shift, seed, threads, output, json,
        };
        distill.AddTo(command);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            CommonOptions.ApplyThreads(p.GetValue(threads));
            CommonOptions.RequireNonNegative(p.GetValue(epochs), "--epochs");
            CommonOptions.RequirePositive(p.GetValue(batch), "--batch-size");
            int shiftPixels = CommonOptions.ParseShift(p.GetValue(shift));
            var config = new OptimizerConfig(p.GetValue(optimizer)!.ToLowerInvariant(), p.GetValue(lr), p.GetValue(momentum), false, p.GetValue(l2), p.GetValue(schedule)!);
            try { config.Validate(); config.CreateSchedule(1); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            string structurePath = p.GetValue(structureFile)!;
            if (!File.Exists(structurePath)) throw new FileNotFoundException($"Structure file '{structurePath}' does not exist.", structurePath);
            var structure = GrowlStructure.FromJson(File.ReadAllText(structurePath), Path.GetFileName(structurePath));
            var loaded = ModelCheckpoint.Load(p.GetValue(file)!);
            var spec = CommonOptions.ParseData(p.GetValue(data));
            var (train, test) = (spec.Load(DataSplit.Train), spec.Load(DataSplit.Test));
            TrainingRun.CheckDataFitsModel(loaded.Spec, train);
            GrowlStructure.Attach(loaded.Model, structure);
            var distillation = distill.Parse(p, loaded.Spec);
            var metadata = new Dictionary<string, string> { ["structure"] = GrowlStructure.ToJson(structure) };
            if (distillation is not null) metadata["distillation"] = distillation.Describe();
            var request = new TrainRequest
            {
                Spec = loaded.Spec, Optimizer = config, Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), Seed = p.GetValue(seed),
                OutPath = p.GetValue(output), InitialModel = loaded.Model, Augmentation = Knot.Data.CropFlipAugmentation.Shift(shiftPixels),
                Distillation = distillation, Metadata = metadata,
            };
            var result = o.WithProgress("retrain", progress => TrainingRun.Run(request, train, test, progress));
            TrainCommand.Report(o, result, request.OutPath!);
            return ExitCodes.Success;
        }));
        return command;
    }
}
