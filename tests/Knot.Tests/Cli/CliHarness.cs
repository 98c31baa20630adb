using Knot.Data;

namespace Knot.Tests.Cli;

/// <summary>Runs the real CLI entry point in-process with captured stdout/stderr, on small generated MNIST-format data.</summary>
public static class CliHarness
{
    private static readonly object ConsoleLock = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (ConsoleLock)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = Knot.Cli.Program.Main(args);
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    /// <summary>Tiny MNIST-layout data under <paramref name="root"/>/data and a lenet-300-100 (width 0.1) trained on it for one epoch through `knot train`.</summary>
    public static (string Data, string Checkpoint) TinyTrainedCheckpoint(string root, string name = "m.ckpt")
    {
        string data = CreateMnistLikeData(Path.Combine(root, "data"));
        string ckpt = Path.Combine(root, name);
        var trained = Run("train", "--model", "lenet-300-100", "--width", "0.1", "--data", "idx:" + data, "--epochs", "1", "--batch-size", "32", "--out", ckpt);
        if (trained.Code != 0) throw new InvalidOperationException("knot train failed: " + trained.Err);
        return (data, ckpt);
    }

    /// <summary>A directory with tiny MNIST-layout IDX files (28×28, learnable synthetic classes).</summary>
    public static string CreateMnistLikeData(string root, int trainCount = 256, int testCount = 64)
    {
        Directory.CreateDirectory(root);
        Write(root, "train", Knot.Tests.Training.SyntheticData.Create(trainCount, seed: 1));
        Write(root, "t10k", Knot.Tests.Training.SyntheticData.Create(testCount, seed: 2));
        return root;
    }

    private static void Write(string dir, string prefix, LabeledDataset data)
    {
        var images = new byte[16 + data.Images.Length];
        images[2] = 0x08; images[3] = 3;
        WriteInt(images, 4, data.Count); WriteInt(images, 8, 28); WriteInt(images, 12, 28);
        for (int i = 0; i < data.Images.Length; i++) images[16 + i] = (byte)Math.Clamp(128 + 40 * data.Images[i], 0, 255);
        File.WriteAllBytes(Path.Combine(dir, prefix + "-images-idx3-ubyte"), images);
        var labels = new byte[8 + data.Count];
        labels[2] = 0x08; labels[3] = 1;
        WriteInt(labels, 4, data.Count);
        for (int i = 0; i < data.Count; i++) labels[8 + i] = (byte)data.Labels[i];
        File.WriteAllBytes(Path.Combine(dir, prefix + "-labels-idx1-ubyte"), labels);
    }

    private static void WriteInt(byte[] b, int at, int v)
    {
        b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v;
    }
}
