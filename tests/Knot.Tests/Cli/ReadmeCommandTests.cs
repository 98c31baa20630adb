using Knot.Cli;

namespace Knot.Tests.Cli;

/// <summary>Every `./knot ...` line of the README's shell blocks, and of the scripts a newcomer runs, is a valid command
/// line of the real CLI.</summary>
public sealed class ReadmeCommandTests
{
    [Fact]
    public void ReadmeCommandsParse() => AssertCommandsParse("README.md", markdown: true, atLeast: 20);

    [Fact]
    public void QuickstartCommandsParse() => AssertCommandsParse("scripts/quickstart.sh", markdown: false, atLeast: 5);

    private static void AssertCommandsParse(string relativePath, bool markdown, int atLeast)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "README.md")) || !Directory.Exists(Path.Combine(root, "recipes")))
            root = Path.GetDirectoryName(root) ?? throw new FileNotFoundException("README.md");
        var commands = KnotCommands(File.ReadAllLines(Path.Combine(root, relativePath)), markdown).ToList();
        Assert.True(commands.Count >= atLeast, $"{relativePath}: expected at least {atLeast} knot commands, found {commands.Count}");
        var cli = Program.BuildRoot();
        foreach (var command in commands)
        {
            var errors = cli.Parse(command).Errors;
            Assert.True(errors.Count == 0, $"{relativePath}: knot {string.Join(" ", command)}: {string.Join("; ", errors.Select(e => e.Message))}");
        }
    }

    /// <summary>`./knot` lines (in a Markdown file: inside ```bash blocks), continuation lines joined, comments dropped;
    /// lines with "..." are elided examples.</summary>
    private static IEnumerable<string[]> KnotCommands(string[] lines, bool markdown)
    {
        bool inShell = !markdown;
        string pending = "";
        foreach (var raw in lines)
        {
            if (markdown && raw.StartsWith("```", StringComparison.Ordinal)) { inShell = !inShell && raw.Trim() == "```bash"; continue; }
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
