using System.Diagnostics;
using System.Globalization;
using Knot.Autograd;
using Knot.Data;
using Knot.Kernels;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;
using Knot.Training;

namespace Knot.Bench;

/// <summary>
/// <c>train|infer [--models lenet-300-100,lenet-5-caffe] [--threads 1,2] [--rounds N] [--steps N] [--warmup N] [--clock wall|cpu]</c>:
/// end-to-end throughput on MNIST (from <c>$KNOT_DATA/mnist</c>), one JSON line per (model, threads).
/// <list type="bullet">
/// <item><c>train</c>: <see cref="Trainer.Step"/> over a shuffled <see cref="DataLoader"/> (batch 128, SGD lr 0.01
///   momentum 0.9); after warm-up, each round times a fixed number of steps; samples/s of the median and best round.
///   Batch copying by the loader is inside the timed region, as it is in real training.</item>
/// <item><c>infer</c>: eval mode, no grad, batch 1000 over the 10k test images (forward + arg-max); each round is one
///   full pass.</item>
/// </list>
/// <c>--clock cpu</c> divides by the process's CPU time instead of wall time: on an overloaded, shared machine that
/// still measures per-core speed at 1 thread (time spent descheduled does not count), never multi-thread scaling.
/// bench/torch_train.py measures the same things and prints the same fields, so bench/compare.sh can pair them.
/// </summary>
internal static class TrainBench
{
    public static readonly string[] DefaultModels = ["lenet-300-100", "lenet-5-caffe"];

    public static int RunTrain(string[] args) => Run(args, train: true);

    public static int RunInfer(string[] args) => Run(args, train: false);

    private static int Run(string[] args, bool train)
    {
        var options = BenchOptions.Parse(args, train ? 5 : 5);
        var data = DataSpec.Parse("mnist").Load(train ? DataSplit.Train : DataSplit.Test);
        int saved = Parallelism.ThreadCount;
        try
        {
            foreach (var model in options.Models)
            {
                foreach (int threads in options.Threads)
                {
                    Parallelism.ThreadCount = threads;
                    var rates = train ? TimeTraining(model, data, options) : TimeInference(model, data, options);
                    Console.WriteLine(Json(train ? "train" : "infer", model, threads, train ? 128 : 1000, options.CpuClock, rates));
                }
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
        return 0;
    }

    /// <summary>Samples/s of each timed round.</summary>
    private static double[] TimeTraining(string name, LabeledDataset data, BenchOptions options)
    {
        var model = ModelZoo.Create(name, seed: 1);
        var optimizer = new Sgd(model.Parameters(), learningRate: 0.01f, momentum: 0.9f);
        var trainer = new Trainer(model, optimizer, new TrainerOptions { BatchSize = 128, Seed = 1 });
        var loader = trainer.CreateLoader(data);
        int steps = options.Steps ?? (name == "lenet-300-100" ? 150 : 40);
        var stream = new BatchStream(loader);

        for (int i = 0; i < options.Warmup; i++) trainer.Step(stream.Next());
        var rates = new double[options.Rounds];
        for (int r = 0; r < rates.Length; r++)
        {
            long samples = 0;
            var clock = BenchClock.Start(options.CpuClock);
            for (int i = 0; i < steps; i++)
            {
                var batch = stream.Next();
                trainer.Step(batch);
                samples += batch.Count;
            }
            rates[r] = samples / clock.ElapsedSeconds();
        }
        return rates;
    }

    private static double[] TimeInference(string name, LabeledDataset data, BenchOptions options)
    {
        var model = ModelZoo.Create(name, seed: 1);
        model.Eval();
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 1000, Shuffle = false });
        var arena = new TensorArena();
        long sink = 0;

        long Pass()
        {
            long correct = 0;
            using var noGrad = GradMode.NoGrad();
            using var scope = arena.Activate();
            foreach (var batch in loader.Epoch(0))
            {
                arena.Reset();
                correct += Metrics.CountCorrect(model.Forward(batch.Images), batch.Labels);
            }
            arena.Reset();
            return correct;
        }

        for (int i = 0; i < Math.Max(1, options.Warmup / 10); i++) sink += Pass();
        var rates = new double[options.Rounds];
        for (int r = 0; r < rates.Length; r++)
        {
            var clock = BenchClock.Start(options.CpuClock);
            sink += Pass();
            rates[r] = data.Count / clock.ElapsedSeconds();
        }
        GC.KeepAlive(sink);
        return rates;
    }

    private static string Json(string mode, string model, int threads, int batch, bool cpuClock, double[] rates)
    {
        var sorted = rates.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        string all = string.Join(",", rates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)));
        return FormattableString.Invariant(
            $"{{\"framework\":\"knot\",\"mode\":\"{mode}\",\"model\":\"{model}\",\"threads\":{threads},\"batch\":{batch},\"clock\":\"{(cpuClock ? "cpu" : "wall")}\",\"median\":{median:F1},\"best\":{sorted[^1]:F1},\"rounds\":[{all}],\"loadavg\":\"{LoadAverage()}\"}}");
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Endless batches: epoch after epoch of the loader.</summary>
    private sealed class BatchStream(DataLoader loader)
    {
        private int _epoch;
        private int _index;

        public Batch Next()
        {
            if (_index == loader.BatchesPerEpoch) { _epoch++; _index = 0; }
            return loader.GetBatch(_epoch, _index++);
        }
    }
}

/// <summary>Options shared by the train, infer and profile commands.</summary>
internal sealed record BenchOptions(string[] Models, int[] Threads, int Rounds, int? Steps, int Warmup, bool CpuClock)
{
    public static BenchOptions Parse(string[] args, int defaultRounds)
    {
        string[] models = TrainBench.DefaultModels;
        int[] threads = [1, 2];
        int rounds = defaultRounds, warmup = 20;
        int? steps = null;
        bool cpuClock = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"Option '{args[i]}' needs a value.");
            string value = args[++i];
            switch (args[i - 1])
            {
                case "--models": models = value.Split(','); break;
                case "--threads": threads = [.. value.Split(',').Select(v => Positive("--threads", v))]; break;
                case "--rounds": rounds = Positive("--rounds", value); break;
                case "--steps": steps = Positive("--steps", value); break;
                case "--warmup": warmup = Positive("--warmup", value); break;
                case "--clock":
                    cpuClock = value switch
                    {
                        "wall" => false,
                        "cpu" => true,
                        _ => throw new ArgumentException($"--clock expects wall or cpu, got '{value}'."),
                    };
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i - 1]}'; known: --models, --threads, --rounds, --steps, --warmup, --clock.");
            }
        }
        foreach (var m in models) ModelZoo.Describe(m); // unknown names fail here with the list of known ones
        return new BenchOptions(models, threads, rounds, steps, warmup, cpuClock);
    }

    private static int Positive(string option, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new ArgumentException($"{option} expects a positive integer, got '{value}'.");
}

/// <summary>Wall time, or the process's CPU time (all its threads) when <c>cpu</c> is set.</summary>
internal readonly struct BenchClock
{
    private readonly bool _cpu;
    private readonly long _wallStart;
    private readonly TimeSpan _cpuStart;

    private BenchClock(bool cpu)
    {
        _cpu = cpu;
        _wallStart = Stopwatch.GetTimestamp();
        _cpuStart = cpu ? Process.GetCurrentProcess().TotalProcessorTime : default;
    }

    public static BenchClock Start(bool cpu) => new(cpu);

    public double ElapsedSeconds() => _cpu
        ? (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds
        : Stopwatch.GetElapsedTime(_wallStart).TotalSeconds;
}
