using Knot.Compression.Combined;
using Knot.Compression.Growl;
using Knot.Compression.SoftSharing;
using Knot.Models;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Tests.Compression.Combined;

/// <summary>The distinct-weight view that puts the SWS prior on what a GrOWL-finalized network really stores.</summary>
public sealed class DistinctWeightsTests
{
    private static (Sequential Model, List<LayerStructure> Structure, DistinctWeights View) Build(ulong seed)
    {
        var model = (Sequential)ModelZoo.Create(new ModelSpec("lenet-300-100", 0.1f, 1, 8, 8, 10), new KnotRandom(seed));
        var structure = CombinedTestStructures.Random(model, ["fc1.weight", "fc2.weight", "fc3.weight"], seed);
        GrowlStructure.Attach(model, structure);
        var covered = SoftSharingHook.SelectWeights(model);
        return (model, structure, DistinctWeights.Build(model, covered, structure));
    }

    [Fact]
    public void CompactValuesAreOneValuePerStoredWeightAndScatterRebuildsTheConstrainedTensor()
    {
        var (model, structure, view) = Build(21);
        var finalized = GrowlFinalizer.Finalize(model, structure);
        var stored = finalized.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.Data);
        for (int t = 0; t < view.Names.Count; t++)
        {
            // The finalized layer stores exactly these values (its row-major order is the view's order).
            Assert.Equal(stored[view.Names[t]], view.Compact[t].Data);
        }

        // Scatter of the gathered values gives back the constrained tensors, except that removed producer rows become 0.
        var removed = GrowlFinalizer.RemovedOutputs(model, structure);
        var before = view.Full.Select(t => t.Data.ToArray()).ToList();
        view.Scatter(view.Compact.Select(c => c.Data.ToArray()).ToList());
        for (int t = 0; t < view.Names.Count; t++)
        {
            var full = view.Full[t];
            int rowLength = full.Length / full.Shape[0];
            string layer = view.Names[t][..view.Names[t].LastIndexOf('.')];
            var rows = removed.TryGetValue(layer, out var r) ? r.ToHashSet() : [];
            for (int e = 0; e < full.Length; e++)
                Assert.Equal(rows.Contains(e / rowLength) ? 0f : before[t][e], full.Data[e]);
        }
        Assert.Throws<ArgumentException>(() => view.Scatter([new float[1]]));
    }

    [Fact]
    public void APriorGradientOnTheCompactCopyReachesEachSharedGroupOnceAfterTheTieConstraint()
    {
        var (model, structure, view) = Build(22);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var t in view.Full) t.Grad = new Tensor(t.Shape, new float[t.Length]);
        view.ClearGradients();
        for (int t = 0; t < view.Compact.Count; t++) view.Compact[t].Grad!.Data.AsSpan().Fill(1f);
        view.AddGradients();
        // The trainer runs TieConstraint.TransformGradient next: each member gets its cluster's summed gradient.
        foreach (var s in structure)
            foreach (var c in parameters[s.Name].Constraints) c.TransformGradient(parameters[s.Name]);
        for (int t = 0; t < view.Names.Count; t++)
        {
            var index = view.CompactIndex(t);
            var grad = view.Full[t].Grad!.Data;
            for (int e = 0; e < grad.Length; e++)
            {
                // Stored weights (representatives and their copies) see the prior once; removed producer rows get
                // nothing here (their mask zeroes them anyway), zero groups nothing.
                Assert.Equal(index[e] == DistinctWeights.Removed ? 0f : 1f, grad[e]);
            }
        }
    }

    [Fact]
    public void PriorLossOnTheViewEqualsThePriorLossOfTheFinalizedWeights()
    {
        var (model, structure, view) = Build(23);
        var finalized = GrowlFinalizer.Finalize(model, structure);
        var prior = GaussianMixturePrior.FromWeights(view.Compact.Select(c => c.Data).ToList(), new GaussianMixturePriorOptions { LearnedComponents = 4 });
        double onView = prior.Evaluate(view.Compact, 0f);
        var stored = view.Names.Select(n => finalized.NamedParameters().Single(p => p.Name == n).Parameter.Value).ToList();
        foreach (var s in stored) s.Grad = new Tensor(s.Shape, new float[s.Length]);
        Assert.Equal(prior.Evaluate(stored, 0f), onView);
        Assert.Equal(finalized.NamedParameters().Where(p => p.Parameter.Value.Shape.Rank >= 2).Sum(p => (long)p.Parameter.Value.Length), view.DistinctCount);
    }
}
