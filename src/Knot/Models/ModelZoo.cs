using Knot.Nn;
using Knot.Tensors;

namespace Knot.Models;

/// <summary>The networks of the papers (METHODS.md §5), by name.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<ModelSpec, KnotRandom, Module> Build)> Builders = new()
    {
        ["lenet-300-100"] = ("FC 784→300, ReLU, FC 300→100, ReLU, FC 100→10 (266,200 weights)", LeNet300100),
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
}
