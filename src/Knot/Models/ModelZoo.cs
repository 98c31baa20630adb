using Knot.Nn;
using Knot.Tensors;

namespace Knot.Models;

/// <summary>The networks of the papers (METHODS.md §5), by name.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<ModelSpec, KnotRandom, Module> Build)> Builders = new()
    {
        ["lenet-300-100"] = ("FC 784→300, ReLU, FC 300→100, ReLU, FC 100→10 (266,200 weights)", LeNet300100),
        ["growl-mnist"] = ("FC 784→300, ReLU, BatchNorm, FC 300→10 (the GrOWL paper's MNIST net, 238,200 weights)", GrowlMnist),
        ["lenet-5-caffe"] = ("conv 20@5×5, maxpool 2, conv 50@5×5, maxpool 2, FC 800→500, ReLU, FC 500→10; no ReLU after the convolutions, as Caffe's original (430,500 weights)", LeNet5Caffe),
        ["vgg16-cifar"] = ("13 × (conv3×3 + BN + ReLU) with 5 max-pools, FC 512 + BN + ReLU, FC 10 (14.98 M weights)", Vgg16Cifar),
        ["wrn-16-4"] = ("wide ResNet, depth 16, width 4, pre-activation blocks, no dropout (2.75 M weights)", WideResNet16x4),
    };

    public static IReadOnlyCollection<string> Names => Builders.Keys;

    public static string Describe(string name) => Builders.TryGetValue(name, out var b) ? b.Description : throw UnknownModel(name);

    public static Module Create(ModelSpec spec, KnotRandom rng)
    {
        if (!Builders.TryGetValue(spec.Name, out var builder)) throw UnknownModel(spec.Name);
        if (!(spec.Width > 0) || !float.IsFinite(spec.Width))
            throw new ArgumentException($"Model width multiplier must be a positive number, got {spec.Width}.");
        return builder.Build(spec, rng);
    }

    public static Module Create(string name, ulong seed, float width = 1f) => Create(DefaultSpec(name, width), new KnotRandom(seed));

    /// <summary>The spec with the input shape the model was designed for (MNIST 1×28×28 or CIFAR 3×32×32).</summary>
    public static ModelSpec DefaultSpec(string name, float width = 1f)
    {
        if (!Builders.ContainsKey(name)) throw UnknownModel(name);
        bool cifar = name is "vgg16-cifar" or "wrn-16-4";
        return cifar ? new ModelSpec(name, width, 3, 32, 32, 10) : new ModelSpec(name, width);
    }

    internal static void Register(string name, string description, Func<ModelSpec, KnotRandom, Module> build) => Builders[name] = (description, build);

    private static ArgumentException UnknownModel(string name) =>
        new($"Unknown model '{name}'. Known models: {string.Join(", ", Builders.Keys.Order(StringComparer.Ordinal))}.");

    private static Module LeNet300100(ModelSpec s, KnotRandom rng)
    {
        int h1 = s.Scale(300), h2 = s.Scale(100);
        return new Sequential()
            .Add(new Flatten(), "flatten")
            .Add(new Linear(s.InputFeatures, h1, rng), "fc1").Add(new ReLU(), "relu1")
            .Add(new Linear(h1, h2, rng), "fc2").Add(new ReLU(), "relu2")
            .Add(new Linear(h2, s.Classes, rng), "fc3");
    }

    private static Module GrowlMnist(ModelSpec s, KnotRandom rng)
    {
        int h = s.Scale(300);
        return new Sequential()
            .Add(new Flatten(), "flatten")
            .Add(new Linear(s.InputFeatures, h, rng), "fc1").Add(new ReLU(), "relu")
            .Add(new BatchNorm1d(h), "bn")
            .Add(new Linear(h, s.Classes, rng), "fc2");
    }

    private static Module LeNet5Caffe(ModelSpec s, KnotRandom rng)
    {
        int c1 = s.Scale(20), c2 = s.Scale(50), h = s.Scale(500);
        int size1 = (s.InputHeight - 4) / 2, size2 = (size1 - 4) / 2;
        int width1 = (s.InputWidth - 4) / 2, width2 = (width1 - 4) / 2;
        if (size2 < 1 || width2 < 1) throw new ArgumentException($"lenet-5-caffe needs inputs of at least 16×16, got {s.InputHeight}×{s.InputWidth}.");
        return new Sequential()
            .Add(new Conv2d(s.InputChannels, c1, 5, rng), "conv1").Add(new MaxPool2d(2), "pool1")
            .Add(new Conv2d(c1, c2, 5, rng), "conv2").Add(new MaxPool2d(2), "pool2")
            .Add(new Flatten(), "flatten")
            .Add(new Linear(c2 * size2 * width2, h, rng), "fc1").Add(new ReLU(), "relu")
            .Add(new Linear(h, s.Classes, rng), "fc2");
    }

    private static Module Vgg16Cifar(ModelSpec s, KnotRandom rng)
    {
        int[] plan = [64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1];
        var net = new Sequential();
        int channels = s.InputChannels, size = Math.Min(s.InputHeight, s.InputWidth), conv = 0, pool = 0;
        foreach (var v in plan)
        {
            if (v < 0)
            {
                net.Add(new MaxPool2d(2), $"pool{++pool}");
                size /= 2;
                continue;
            }
            int outC = s.Scale(v);
            conv++;
            net.Add(new Conv2d(channels, outC, 3, 1, 1, true, rng), $"conv{conv}").Add(new BatchNorm2d(outC), $"bn{conv}").Add(new ReLU(), $"relu{conv}");
            channels = outC;
        }
        if (size < 1) throw new ArgumentException($"vgg16-cifar needs inputs of at least 32×32, got {s.InputHeight}×{s.InputWidth}.");
        int hidden = s.Scale(512);
        return net.Add(new Flatten(), "flatten")
            .Add(new Linear(channels * size * size, hidden, rng), "fc1").Add(new BatchNorm1d(hidden), "bn_fc1").Add(new ReLU(), "relu_fc1")
            .Add(new Linear(hidden, s.Classes, rng), "fc2");
    }

    private static Module WideResNet16x4(ModelSpec s, KnotRandom rng)
    {
        // depth 16 → (16 − 4) / 6 = 2 blocks per stage; widths 16·4, 32·4, 64·4.
        int stem = s.Scale(16), w1 = s.Scale(64), w2 = s.Scale(128), w3 = s.Scale(256);
        return new Sequential()
            .Add(new Conv2d(s.InputChannels, stem, 3, 1, 1, false, rng), "conv")
            .Add(new WideResidualBlock(stem, w1, 1, rng), "block1_1").Add(new WideResidualBlock(w1, w1, 1, rng), "block1_2")
            .Add(new WideResidualBlock(w1, w2, 2, rng), "block2_1").Add(new WideResidualBlock(w2, w2, 1, rng), "block2_2")
            .Add(new WideResidualBlock(w2, w3, 2, rng), "block3_1").Add(new WideResidualBlock(w3, w3, 1, rng), "block3_2")
            .Add(new BatchNorm2d(w3), "bn").Add(new ReLU(), "relu")
            .Add(new GlobalAvgPool2d(), "pool").Add(new Flatten(), "flatten")
            .Add(new Linear(w3, s.Classes, rng), "fc");
    }
}
