using System.CommandLine;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Knot.Cli.Commands;

/// <summary>
/// Runs a YAML recipe: a list of steps, each a knot verb with its options, e.g.
/// <code>
/// steps:
///   - growl: { model: growl-mnist, data: mnist, epochs: 60, retrain-epochs: 20, reg: growl, out: runs/growl }
/// </code>
/// Each step becomes `knot growl --model growl-mnist ...`; a step may instead be { name: ..., command: "knot ..." }; `${seed}`-style variables come from `vars:` or
/// `--set name=value`. Steps run in order and the first failing step stops the recipe with its exit code.
/// </summary>
public static class RunRecipeCommand
{
    public static Command Create(Func<RootCommand> root)
    {
        var file = new Argument<string>("recipe") { Description = "YAML recipe file (see recipes/)." };
        var set = new Option<string[]>("--set") { Description = "Override a recipe variable: --set seed=2 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the commands without running them." };
        var from = new Option<int>("--from")
        {
            Description = "Start at this step (1-based, as the progress lines number them): after an interruption, the steps before it are done.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("run-recipe", "Run the steps of a YAML recipe (a whole experiment).") { file, set, dryRun, from };
        command.SetAction(p => CommonOptions.Run(() =>
        {
            string path = p.GetValue(file)!;
            var steps = Parse(path, p.GetValue(set) ?? []);
            int first = p.GetValue(from);
            if (first < 1 || first > steps.Count) throw new UsageException($"--from must be a step of the recipe, 1 to {steps.Count}, got {first}.");
            for (int i = first - 1; i < steps.Count; i++)
            {
                Console.Error.WriteLine($"[{i + 1}/{steps.Count}] $ knot " + string.Join(' ', steps[i].Select(Quote)));
                if (p.GetValue(dryRun)) continue;
                int code = root().Parse(steps[i]).Invoke();
                if (code != ExitCodes.Success)
                {
                    Console.Error.WriteLine($"knot: step {i + 1} of {steps.Count} failed (exit code {code}); after fixing it, go on with --from {i + 1}.");
                    return code;
                }
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    public static List<string[]> Parse(string path, IEnumerable<string> overrides)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Recipe '{path}' does not exist.", path);
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}: invalid YAML at line {e.Start.Line}: {e.Message}", e);
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{path}: expected a mapping with 'steps:'.");
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.Children.TryGetValue(new YamlScalarNode("vars"), out var v))
        {
            if (v is not YamlMappingNode vm) throw new InvalidDataException($"{path}: 'vars' must be a mapping.");
            foreach (var (k, val) in vm.Children) vars[Scalar(k, path)] = Scalar(val, path);
        }
        foreach (var o in overrides)
        {
            int eq = o.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new UsageException($"--set expects name=value, got '{o}'.");
            vars[o[..eq]] = o[(eq + 1)..];
        }
        if (!root.Children.TryGetValue(new YamlScalarNode("steps"), out var s) || s is not YamlSequenceNode seq)
            throw new InvalidDataException($"{path}: expected a 'steps:' list.");
        var result = new List<string[]>();
        foreach (var step in seq)
        {
            if (step is YamlMappingNode withCommand && withCommand.Children.TryGetValue(new YamlScalarNode("command"), out var commandNode))
            {
                // Long form: { name: ..., command: "knot verb --option value ..." }.
                var words = Substitute(Scalar(commandNode, path), vars, path).Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
                result.Add(words.Length > 0 && words[0] == "knot" ? words[1..] : words);
                continue;
            }
            if (step is not YamlMappingNode m || m.Children.Count != 1)
                throw new InvalidDataException($"{path}: line {step.Start.Line}: each step is one verb mapping to its options, or has a 'command:'.");
            var (verbNode, optionsNode) = m.Children.First();
            var argv = new List<string>(Scalar(verbNode, path).Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (optionsNode is YamlMappingNode options)
            {
                foreach (var (k, val) in options.Children)
                {
                    string key = Scalar(k, path);
                    if (key == "_") { argv.Add(Substitute(Scalar(val, path), vars, path)); continue; } // positional argument
                    string value = Substitute(Scalar(val, path), vars, path);
                    if (value == "true") argv.Add("--" + key);
                    else if (value != "false") { argv.Add("--" + key); argv.Add(value); }
                }
            }
            result.Add(argv.ToArray());
        }
        return result;
    }

    private static string Scalar(YamlNode node, string path) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw new InvalidDataException($"{path}: line {node.Start.Line}: expected a plain value.");

    private static string Substitute(string text, Dictionary<string, string> vars, string path)
    {
        int start;
        while ((start = text.IndexOf("${", StringComparison.Ordinal)) >= 0)
        {
            int end = text.IndexOf('}', start);
            if (end < 0) throw new InvalidDataException($"{path}: unterminated '${{' in '{text}'.");
            string name = text[(start + 2)..end];
            if (!vars.TryGetValue(name, out var value)) throw new InvalidDataException($"{path}: variable '{name}' is not defined (add it under vars: or pass --set {name}=...).");
            text = string.Concat(text.AsSpan(0, start), value, text.AsSpan(end + 1));
        }
        return text;
    }

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) ? "\"" + s + "\"" : s;
}
