namespace Knot.Bench;

/// <summary>Entry point: <c>Knot.Bench &lt;command&gt; [options]</c>. Each command lives in its own class.</summary>
public static class Program
{
    private static readonly (string Name, string Help, Func<string[], int> Run)[] Commands =
    [
        ("gemm", "GEMM GFLOP/s on square and LeNet-300-100 shapes (see GemmBench)", GemmBench.Run),
    ];

    public static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            foreach (var command in Commands)
                if (command.Name == args[0]) return command.Run(args[1..]);
        }

        Console.Error.WriteLine("usage: Knot.Bench <command> [options]");
        foreach (var command in Commands) Console.Error.WriteLine($"  {command.Name,-8} {command.Help}");
        return 2;
    }
}
