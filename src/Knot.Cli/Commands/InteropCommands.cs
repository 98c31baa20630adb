using System.CommandLine;
using Knot.Models;
using Knot.Training;

namespace Knot.Cli.Commands;

/// <summary>`knot import` (safetensors / PyTorch state_dict → checkpoint) and `knot export` (checkpoint → safetensors).</summary>
public static class InteropCommands
{
    public static Command Import()
    {
        var file = new Argument<string>("file") { Description = "A .safetensors file or a torch.save state_dict (.pt/.pth); pickles are read without executing code." };
        var model = new Option<string>("--model") { Description = "Zoo model the weights belong to.", Required = true };
        var width = new Option<float>("--width") { Description = "Width multiplier of that model.", DefaultValueFactory = _ => 1f };
        var container = new Option<string?>("--container") { Description = "Take the weights from this entry of a nested file (e.g. state_dict or model)." };
        var output = new Option<string>("--out") { Description = "Checkpoint to write.", Required = true };
        var command = new Command("import", "Import dense weights from PyTorch formats into a Knot checkpoint (names must match the model's, e.g. fc1.weight).")
        {
            file, model, width, container, output,
        };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            string name = p.GetValue(model)!;
            if (!ModelZoo.Names.Contains(name)) throw new UsageException($"--model: unknown model '{name}'. Known: {string.Join(", ", ModelZoo.Names.Order(StringComparer.Ordinal))}.");
            var spec = ModelZoo.DefaultSpec(name, p.GetValue(width));
            var imported = WeightInterop.Import(p.GetValue(file)!, spec, p.GetValue(container));
            ModelCheckpoint.Save(p.GetValue(output)!, spec, imported, epochsDone: 0, seed: 0,
                extraMetadata: new Dictionary<string, string> { ["imported_from"] = Path.GetFileName(p.GetValue(file)!) });
            Console.WriteLine($"Imported {imported.ParameterCount():N0} parameters of {name} into {p.GetValue(output)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command Export()
    {
        var file = new Argument<string>("checkpoint") { Description = "A Knot checkpoint." };
        var output = new Option<string>("--out") { Description = "The .safetensors file to write (float32, PyTorch parameter names).", Required = true };
        var command = new Command("export", "Export a checkpoint's dense weights to safetensors.") { file, output };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            var loaded = ModelCheckpoint.Load(p.GetValue(file)!);
            WeightInterop.ExportSafetensors(p.GetValue(output)!, loaded.Model, loaded.Spec);
            Console.WriteLine($"Wrote {p.GetValue(output)}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
