namespace Knot.Bench;

/// <summary>Entry point: <c>Knot.Bench &lt;command&gt; [options]</c>. Each command lives in its own class.</summary>
public static class Program
{
    private static readonly (string Name, string Help, Func<string[], int> Run)[] Commands =
    [
        ("gemm", "GEMM GFLOP/s on square and LeNet-300-100 shapes (see GemmBench)", GemmBench.Run),
        ("train", "training samples/s on MNIST, batch 128, SGD momentum 0.9 (JSON lines; see TrainBench)", TrainBench.RunTrain),
        ("infer", "inference samples/s on the MNIST test set, batch 1000, eval, no grad (JSON lines)", TrainBench.RunInfer),
        ("profile", "per-layer forward/backward time of one training step (see StepProfile)", StepProfile.Run),
        ("sgd", "Sgd.Step on LeNet-300-100's parameters vs a vectorized update (see SgdBench)", SgdBench.Run),
        ("profile-conv", "LeNet-5-Caffe convolutions split into im2col / GEMM / col2im pieces (see ConvParts)", ConvParts.Run),
        ("kernels", "LeNet-5-Caffe pooling and convolution kernel times, median and best (see KernelBench)", KernelBench.Run),
        ("conv", "LeNet-5-Caffe conv chunk sizes and conv/pool kernel times (see ConvBenchmark)", _ => { ConvBenchmark.Run(Console.Out); return 0; }),
        ("prox", "GrOWL prox vs memory-bound floor (see ProxBenchmark)", _ => { ProxBenchmark.Run(Console.Out); return 0; }),
        ("ap", "affinity propagation message round, vector passes vs the plain-loop reference (see ApBenchmark)", _ => { ApBenchmark.Run(Console.Out); return 0; }),
    ];

    public static int Main(string[] args)
    {
        if (args.Length > 0)
        {
            foreach (var command in Commands)
            {
                if (command.Name != args[0]) continue;
                try
                {
                    return command.Run(args[1..]);
                }
                catch (Exception ex) when (ex is ArgumentException or IOException or PlatformNotSupportedException)
                {
                    // Bad options or missing/corrupt data: the message names what is wrong; a stack trace would not help.
                    Console.Error.WriteLine($"Knot.Bench {command.Name}: {ex.Message}");
                    return ex is ArgumentException ? 2 : 1;
                }
            }
        }

        Console.Error.WriteLine("usage: Knot.Bench <command> [options]");
        foreach (var command in Commands) Console.Error.WriteLine($"  {command.Name,-13} {command.Help}");
        return 2;
    }
}
