using Knot.Compression.DeepCompression;
using Knot.Compression.Growl;
using Knot.Compression.Pruning;
using Knot.Compression.Quantization;
using Knot.Compression.Tying;
using Knot.Models;
using Knot.Nn;
using Knot.Storage.Models;
using Knot.Tensors;

namespace Knot.Tests.Inference;

/// <summary>Small models in the forms the .knot mapping and compressed inference must handle.</summary>
public static class InferenceTestModels
{
    public static ModelSpec Spec(string name = "lenet-300-100") => new(name, 0.1f, 1, 8, 8, 10);

    public static Sequential Zoo(string name = "lenet-300-100", ulong seed = 3) => (Sequential)ModelZoo.Create(Spec(name), new KnotRandom(seed));

    /// <summary>Prunes every Linear weight to the given sparsity and puts the survivors on a 2^bits codebook; returns storage plans.</summary>
    public static Dictionary<string, TensorStoragePlan> PruneAndQuantize(Sequential model, double sparsity, int bits)
    {
        var plans = new Dictionary<string, TensorStoragePlan>(StringComparer.Ordinal);
        foreach (var (name, weight, _) in DeepCompressionPipeline.CompressibleLayers(model))
        {
            var keep = new bool[weight.Value.Length];
            MagnitudePruning.MaskBySparsity(weight.Data, sparsity, keep);
            var q = LayerQuantizer.Quantize(weight.Data, keep, LayerQuantizer.CentroidsForBits(bits));
            q.WriteWeights(weight.Data);
            plans[name + ".weight"] = new TensorStoragePlan(q.Codebook);
        }
        return plans;
    }

    /// <summary>A GrOWL-finalized lenet-300-100 (dead and tied inputs → GroupSum layers).</summary>
    public static Sequential Finalized(ulong seed = 4)
    {
        var model = Zoo("lenet-300-100", seed);
        var rng = new KnotRandom(seed + 1);
        var structure = new List<LayerStructure>();
        foreach (var name in new[] { "fc1.weight", "fc2.weight" })
        {
            var shape = model.NamedParameters().First(p => p.Name == name).Parameter.Shape.ToArray();
            var labels = new int[shape[1]];
            int cluster = -1, left = 0;
            for (int j = 0; j < labels.Length; j++)
            {
                if (rng.NextDouble() < 0.3) { labels[j] = TieMap.Dead; continue; }
                if (left == 0) { cluster++; left = 1 + rng.NextInt(3); }
                labels[j] = cluster;
                left--;
            }
            if (cluster < 0) labels[0] = 0;
            structure.Add(new LayerStructure(name, shape, labels));
        }
        GrowlStructure.Attach(model, structure);
        model.Eval();
        return GrowlFinalizer.Finalize(model, structure);
    }

    public static Tensor Input(int batch, ulong seed = 9)
    {
        var x = Tensor.Zeros(batch, 1, 8, 8);
        var rng = new KnotRandom(seed);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)rng.NextNormal();
        return x;
    }
}
