using System.Diagnostics;
using System.Globalization;
using Knot.Autograd.Ops;
using Knot.Data;
using Knot.Kernels;
using Knot.Models;
using Knot.Nn;
using Knot.Optim;
using Knot.Tensors;

namespace Knot.Bench;

/// <summary>
/// <c>profile [--models ...] [--threads 1,2] [--steps N] [--warmup N] [--clock wall|cpu]</c>: where one training step (batch 128, SGD
/// momentum 0.9) spends its time, per layer. It replays <see cref="Knot.Training.Trainer.Step"/> piece by piece:
/// batch copy, zero-grad, each top-level layer's forward, the loss, each recorded node's backward (walked in
/// reverse topological order, as the autograd engine does, but with a clock around every node) and the optimizer
/// step. <c>--inference</c> instead times each layer's forward over the 10k test images (batch 1000, eval, no
/// grad), summed per pass, median of passes. <c>--clock cpu</c> times with the calling thread's CPU time (use with --threads 1 on a loaded machine:
/// wall-clock laps there mostly measure waiting for a core). Prints the median milliseconds of each piece over the timed steps and its share of the summed medians.
/// </summary>
internal static class StepProfile
{
    public static int Run(string[] args)
    {
        bool inference = args.Contains("--inference");
        args = [.. args.Where(a => a != "--inference")];
        var options = BenchOptions.Parse(args, defaultRounds: 1);
        var data = DataSpec.Parse("mnist").Load(inference ? DataSplit.Test : DataSplit.Train);
        int saved = Parallelism.ThreadCount;
        try
        {
            foreach (var name in options.Models)
            {
                foreach (int threads in options.Threads)
                {
                    Parallelism.ThreadCount = threads;
                    if (inference) ProfileInference(name, data, threads, options.Steps ?? 5, options.CpuClock);
                    else Profile(name, data, threads, options.Steps ?? 60, options.Warmup, options.CpuClock);
                }
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
        return 0;
    }

    private static void Profile(string name, LabeledDataset data, int threads, int steps, int warmup, bool cpuClock)
    {
        if (cpuClock && !ThreadCpuClock.IsAvailable) throw new PlatformNotSupportedException("--clock cpu needs Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID).");
        // Nanoseconds of wall or thread-CPU time.
        Func<long> now = cpuClock ? ThreadCpuClock.NowNanoseconds : () => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        var model = ModelZoo.Create(name, seed: 1);
        var optimizer = new Sgd(model.Parameters(), learningRate: 0.01f, momentum: 0.9f);
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 128, Seed = 1, DropLast = true });
        var arena = new TensorArena();
        var layers = model.Children;
        var samples = new Dictionary<string, List<double>>();
        var order = new List<string>();
        var timer = new Stopwatch();

        void Record(string key, double ms)
        {
            if (!samples.TryGetValue(key, out var list)) { samples[key] = list = []; order.Add(key); }
            list.Add(ms);
        }

        var totals = new List<double>();
        for (int step = 0; step < warmup + steps; step++)
        {
            bool timed = step >= warmup;
            var laps = new List<(string, double)>();
            long stepStart = now();
            long t = now();
            void Lap(string key)
            {
                long end = now();
                laps.Add((key, (end - t) / 1e6));
                t = now();
            }

            var batch = loader.GetBatch(step / loader.BatchesPerEpoch, step % loader.BatchesPerEpoch);
            Lap("data: batch copy");
            using (arena.Activate())
            {
                arena.Reset();
                optimizer.ZeroGrad();
                model.Train();
                Lap("zero grad");

                var producedBy = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
                var x = batch.Images;
                foreach (var (layerName, layer) in layers)
                {
                    x = layer.Forward(x);
                    producedBy[x] = layerName;
                    Lap($"fwd {layerName}");
                }
                var loss = Op.CrossEntropy(x, batch.Labels, batch.Labels);
                _ = loss.Item();
                producedBy[loss] = "loss";
                Lap("fwd loss");

                // Reverse topological order, then each node's backward under the clock.
                var topo = TopologicalOrder(loss);
                loss.Grad = new Tensor(loss.Shape, [1f]);
                Lap("bwd: graph walk");
                for (int i = topo.Count - 1; i >= 0; i--)
                {
                    var node = topo[i];
                    if (node.Grad is null || node.GradFn is null) continue;
                    node.GradFn.Backward(node);
                    Lap($"bwd {(producedBy.TryGetValue(node, out var layerName) ? layerName : "(inner)")} [{node.GradFn.Name}]");
                }

                optimizer.Step();
                Lap("sgd step");
            }
            double total = (now() - stepStart) / 1e6;
            if (!timed) continue;
            totals.Add(total);
            foreach (var (key, ms) in laps) Record(key, ms);
        }

        double Median(List<double> v)
        {
            var s = v.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }

        double sum = order.Sum(k => Median(samples[k]));
        double totalMedian = Median(totals);
        Console.WriteLine(FormattableString.Invariant(
            $"# {name}, batch 128, {threads} thread(s), {steps} timed steps, {(cpuClock ? "thread CPU" : "wall")} clock; step median {totalMedian:F2} ms ({128 / totalMedian * 1000:F0} samples/s); loadavg {TrainBench.LoadAverage()}"));
        Console.WriteLine($"{"piece",-36} {"median ms",10} {"share",7}");
        foreach (var key in order)
        {
            double m = Median(samples[key]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-36} {m,10:F3} {100 * m / sum,6:F1}%"));
        }
        Console.WriteLine();
    }

    private static void ProfileInference(string name, LabeledDataset data, int threads, int passes, bool cpuClock)
    {
        Func<long> now = cpuClock ? ThreadCpuClock.NowNanoseconds : () => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
        var model = ModelZoo.Create(name, seed: 1);
        model.Eval();
        var loader = new DataLoader(data, new DataLoaderOptions { BatchSize = 1000, Shuffle = false });
        var arena = new TensorArena();
        var samples = new Dictionary<string, List<double>>();
        var order = new List<string>();
        var totals = new List<double>();
        for (int pass = 0; pass < passes + 2; pass++)
        {
            var acc = new Dictionary<string, double>();
            var keys = new List<string>();
            long passStart = now();
            using (Knot.Autograd.GradMode.NoGrad())
            using (arena.Activate())
            {
                for (int b = 0; b < loader.BatchesPerEpoch; b++)
                {
                    long t = now();
                    void Lap(string key)
                    {
                        long end = now();
                        if (!acc.ContainsKey(key)) keys.Add(key);
                        acc[key] = acc.GetValueOrDefault(key) + (end - t) / 1e6;
                        t = now();
                    }
                    arena.Reset();
                    var batch = loader.GetBatch(0, b);
                    Lap("data: batch copy");
                    var x = batch.Images;
                    foreach (var (layerName, layer) in model.Children)
                    {
                        x = layer.Forward(x);
                        Lap($"fwd {layerName}");
                    }
                    _ = Knot.Training.Metrics.CountCorrect(x, batch.Labels);
                    Lap("arg-max");
                }
                arena.Reset();
            }
            double total = (now() - passStart) / 1e6;
            if (pass < 2) continue; // warm-up
            totals.Add(total);
            foreach (var key in keys)
            {
                if (!samples.TryGetValue(key, out var list)) { samples[key] = list = []; order.Add(key); }
                list.Add(acc[key]);
            }
        }

        double Median(List<double> v)
        {
            var s = v.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }

        double sum = order.Sum(k => Median(samples[k]));
        double totalMedian = Median(totals);
        Console.WriteLine(FormattableString.Invariant(
            $"# {name} inference, 10 batches of 1000, {threads} thread(s), {passes} timed passes, {(cpuClock ? "thread CPU" : "wall")} clock; pass median {totalMedian:F2} ms ({data.Count / totalMedian * 1000:F0} samples/s); loadavg {TrainBench.LoadAverage()}"));
        Console.WriteLine($"{"piece (per pass)",-36} {"median ms",10} {"share",7}");
        foreach (var key in order)
        {
            double m = Median(samples[key]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-36} {m,10:F3} {100 * m / sum,6:F1}%"));
        }
        Console.WriteLine();
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs is not null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && child.GradFn is not null && seen.Add(child)) stack.Push((child, 0));
                continue;
            }
            order.Add(t);
        }
        return order;
    }
}
