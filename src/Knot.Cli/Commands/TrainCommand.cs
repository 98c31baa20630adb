using System.CommandLine;
using System.Text.Json.Nodes;
using Knot.Compression.Growl;
using Knot.Data;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Training;
using Spectre.Console;

namespace Knot.Cli.Commands;

/// <summary>Options that describe a training run, shared by train, growl, sws and dc.</summary>
public sealed class TrainingOptions(float defaultLr = 0.05f, string defaultSchedule = "constant")
{
    public Option<string> Model { get; } = new("--model") { Description = $"Network: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.", Required = true };
    public Option<float> Width { get; } = new("--width") { Description = "Width multiplier for hidden layers (1 = the paper's network).", DefaultValueFactory = _ => 1f };
    public Option<string> Data { get; } = CommonOptions.Data();
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 10 };
    public Option<int> BatchSize { get; } = CommonOptions.BatchSize();
    public Option<string> Optimizer { get; } = new("--optimizer") { Description = "sgd, adam or adamw.", DefaultValueFactory = _ => "sgd" };
    public Option<float> Lr { get; } = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaultLr };
    public Option<float> Momentum { get; } = new("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9f };
    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (SGD)." };
    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "L2 weight decay (Adam: in the gradient; AdamW: decoupled).", DefaultValueFactory = _ => 0f };
    public Option<string> Schedule { get; } = new("--lr-schedule") { Description = "constant, step:EVERY:GAMMA, exp:GAMMA or cosine[:MIN].", DefaultValueFactory = _ => defaultSchedule };
    public Option<ulong> Seed { get; } = CommonOptions.Seed();
    public Option<int> Threads { get; } = CommonOptions.Threads();
    public Option<bool> Augment { get; } = new("--augment") { Description = "Random crop (padding 4) and horizontal flip: for CIFAR-10." };
    public Option<string> Init { get; } = new("--init")
    {
        Description = "Weight initialisation of a fresh model: pytorch (U(±1/√fan_in)), growl-reference (the GrOWL paper's code: N(0, 2/fan_out), biases 0.1) or kaiming-normal.",
        DefaultValueFactory = _ => "pytorch",
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, Width, Data, Epochs, BatchSize, Optimizer, Lr, Momentum, Nesterov, WeightDecay, Schedule, Seed, Threads, Augment, Init })
            command.Options.Add(o);
    }

    public OptimizerConfig OptimizerConfig(ParseResult p)
    {
        var config = new OptimizerConfig(p.GetValue(Optimizer)!.ToLowerInvariant(), p.GetValue(Lr), p.GetValue(Momentum), p.GetValue(Nesterov), p.GetValue(WeightDecay), p.GetValue(Schedule)!);
        try { config.Validate(); config.CreateSchedule(1); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return config;
    }

    public ModelSpec Spec(ParseResult p, LabeledDataset data)
    {
        string name = p.GetValue(Model)!;
        float width = p.GetValue(Width);
        if (!ModelZoo.Names.Contains(name)) throw new UsageException($"--model: unknown model '{name}'. Known: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.");
        if (!(width > 0) || !float.IsFinite(width)) throw new UsageException($"--width must be > 0, got {width}.");
        var s = data.ImageShape;
        return new ModelSpec(name, width, s[0], s.Rank > 1 ? s[1] : 1, s.Rank > 2 ? s[2] : 1, Math.Max(10, data.ClassCount));
    }

    public TrainRequest Request(ParseResult p, LabeledDataset train, string? outPath, string? resume)
    {
        CommonOptions.ApplyThreads(p.GetValue(Threads));
        int epochs = p.GetValue(Epochs), batch = p.GetValue(BatchSize);
        CommonOptions.RequireNonNegative(epochs, "--epochs");
        CommonOptions.RequirePositive(batch, "--batch-size");
        return new TrainRequest
        {
            Spec = Spec(p, train), Optimizer = OptimizerConfig(p), Epochs = epochs, BatchSize = batch, Seed = p.GetValue(Seed),
            OutPath = outPath, ResumePath = resume, Augmentation = p.GetValue(Augment) ? new CropFlipAugmentation() : null,
            Init = ParseInit(p),
        };
    }

    private WeightInitScheme ParseInit(ParseResult p)
    {
        try { return WeightInit.Parse(p.GetValue(Init)!); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    public static (LabeledDataset Train, LabeledDataset Test) LoadData(string? spec)
    {
        var data = CommonOptions.ParseData(spec);
        return (data.Load(DataSplit.Train), data.Load(DataSplit.Test));
    }
}

public static class TrainCommand
{
    public static Command Create()
    {
        var options = new TrainingOptions();
        var reg = new RegularizerOptions("none");
        var output = new Option<string>("--out") { Description = "Checkpoint to write (after every epoch, atomically).", Required = true };
        var resume = new Option<string?>("--resume") { Description = "Continue the run saved in this checkpoint up to --epochs." };
        var json = CommonOptions.Json();
        var command = new Command("train", "Train a network from scratch (or resume) and write a checkpoint.");
        options.AddTo(command);
        reg.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(json);
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var o = new Output(p.GetValue(json));
            var (train, test) = TrainingOptions.LoadData(p.GetValue(options.Data));
            var request = options.Request(p, train, p.GetValue(output), p.GetValue(resume));
            var regularizer = reg.Parse(p);
            request = request.WithRegularizer(regularizer, train.Count);
            o.Info($"Training [bold]{request.Spec.Name}[/] on {Markup.Escape(train.Name)} ({train.Count} samples), {request.Epochs} epochs, {request.Optimizer.Kind} lr {request.Optimizer.LearningRate}");
            var result = o.WithProgress(request.Spec.Name, progress => TrainingRun.Run(request, train, test, progress));
            Report(o, result, request.OutPath!);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static void Report(Output o, TrainResult result, string outPath)
    {
        if (o.Json)
        {
            o.WriteJson(new JsonObject
            {
                ["model"] = result.Spec.Name,
                ["test_accuracy"] = result.Test?.Accuracy,
                ["test_loss"] = result.Test?.Loss,
                ["epochs"] = result.History.Count > 0 ? result.History[^1].Epoch : 0,
                ["seconds"] = Math.Round(result.Seconds, 3),
                ["parameters"] = result.Parameters,
                ["out"] = outPath,
                ["history"] = new JsonArray(result.History.Select(h => (JsonNode)new JsonObject
                {
                    ["epoch"] = h.Epoch, ["train_loss"] = h.TrainLoss, ["train_accuracy"] = h.TrainAccuracy,
                    ["test_loss"] = h.TestLoss, ["test_accuracy"] = h.TestAccuracy, ["seconds"] = Math.Round(h.Seconds, 3),
                }).ToArray()),
            });
            return;
        }
        var table = new Table().AddColumns("epoch", "train loss", "train acc", "test loss", "test acc", "lr", "seconds");
        foreach (var h in result.History)
            table.AddRow(h.Epoch.ToString(), $"{h.TrainLoss:F4}", $"{h.TrainAccuracy:P2}", $"{h.TestLoss:F4}", $"{h.TestAccuracy:P2}", $"{h.LearningRate:G3}", $"{h.Seconds:F1}");
        o.Console.Write(table);
        if (result.Test is { } t) o.Console.MarkupLine($"Test accuracy [bold green]{t.Accuracy:P2}[/] (loss {t.Loss:F4}), {result.Parameters:N0} parameters, {result.Seconds:F1}s. Saved {Markup.Escape(outPath)}");
    }
}
