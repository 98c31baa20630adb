using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Tensors;

namespace Knot.Tests.Compression.Tying;

/// <summary>Stage 1 (GrOWL prox with its dead mask) feeding stage 2 (AP tying) on a layer with planted structure.</summary>
public sealed class TyingPipelineTests
{
    [Fact]
    public void ProxKillsWeakGroupsAndApTiesNearCopies()
    {
        var rng = new KnotRandom(601);
        var layout = new GroupLayout(10, 20);
        var protos = new float[3][];
        for (int p = 0; p < 3; p++) protos[p] = ProxTestUtilShim.Random(rng, layout.GroupSize);
        var w = new float[layout.Size];
        var g = new float[layout.GroupSize];
        for (int j = 0; j < 20; j++)
        {
            for (int i = 0; i < g.Length; i++)
                g[i] = j < 6 ? (float)(rng.NextNormal() * 0.01) : protos[j % 3][i] + (float)(rng.NextNormal() * 1e-3);
            layout.SetGroup(w, j, g);
        }
        var prox = new GrowlProximal(layout, OwlWeights.Pld(20, 0.2, 0.001, 0.5));
        prox.Apply(w, 1f);
        Assert.Equal(6, prox.DeadCount);
        for (int j = 0; j < 6; j++) Assert.True(prox.DeadGroups[j]);

        var map = GroupTying.ByAffinityPropagation(w, layout, dead: prox.DeadGroups);
        Assert.Equal(3, map.ClusterCount);
        for (int j = 6; j < 20; j++) Assert.Equal(map.Labels[6 + (j - 6) % 3], map.Labels[j]);
        var m = map.Metrics;
        Assert.Equal(0.3, m.Sparsity, 12);
        Assert.Equal(14.0 / 3, m.ParameterSharing, 12);
        Assert.Equal(20.0 / 3, m.Compression, 12);

        map.Enforce(w);
        Assert.True(map.IsSatisfiedBy(w));
        var tol = GroupTying.ByTolerance(w, layout, 1e-6, prox.DeadGroups);
        // same partition (ids may be numbered differently: AP by exemplar, tolerance by leader)
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 20; j++)
                Assert.Equal(map.Labels[i] == map.Labels[j], tol.Labels[i] == tol.Labels[j]);
        Assert.Equal(3, tol.ClusterCount);
    }
}
