using Knot.Cli;

namespace Knot.Tests.Cli;

/// <summary>Every `./knot ...` line of the README's shell blocks is a valid command line of the real CLI.</summary>
public sealed class ReadmeCommandTests
{
    [Fact]
    public void ReadmeCommandsParse()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "README.md")) || !Directory.Exists(Path.Combine(root, "recipes")))
            root = Path.GetDirectoryName(root) ?? throw new FileNotFoundException("README.md");
        var commands = KnotCommands(File.ReadAllLines(Path.Combine(root, "README.md"))).ToList();
        Assert.True(commands.Count >= 20, $"expected the README's CLI tour, found {commands.Count} commands");
        var cli = Program.BuildRoot();
        foreach (var command in commands)
        {
            var errors = cli.Parse(command).Errors;
            Assert.True(errors.Count == 0, $"README: knot {string.Join(" ", command)}: {string.Join("; ", errors.Select(e => e.Message))}");
        }
    }

    /// <summary>`./knot` lines inside ```bash blocks, continuation lines joined, comments dropped; lines with "..." are elided examples.</summary>
    private static IEnumerable<string[]> KnotCommands(string[] lines)
    {
        bool inShell = false;
        string pending = "";
        foreach (var raw in lines)
        {
            if (raw.StartsWith("```", StringComparison.Ordinal)) { inShell = !inShell && raw.Trim() == "```bash"; continue; }
            if (!inShell) continue;
            string line = pending.Length > 0 ? pending + " " + raw.Trim() : raw.Trim();
            pending = "";
            if (!line.StartsWith("./knot ", StringComparison.Ordinal)) continue;
            int comment = line.IndexOf(" #", StringComparison.Ordinal);
            if (comment >= 0) line = line[..comment].TrimEnd();
            if (line.EndsWith('\\')) { pending = line[..^1].TrimEnd(); continue; }
            if (line.Contains("...", StringComparison.Ordinal)) continue;
            yield return line["./knot ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
    }
}
