using Knot.Compression.Proximal;
using Knot.Compression.Tying;
using Knot.Tensors;

namespace Knot.Tests.Compression.Tying;

public sealed class TyingTieMapTests
{
    private static int Idx(GroupLayout l, int o, int j, int k) => (o * l.In + j) * l.Inner + k;

    [Theory]
    [InlineData(new[] { 4, 6 })]
    [InlineData(new[] { 3, 6, 2, 2 })]
    public void EnforceSetsMembersToClusterMeanAndDeadToZero(int[] shape)
    {
        var rng = new KnotRandom(501);
        var layout = new GroupLayout(shape);
        var w = ProxTestUtilShim.Random(rng, layout.Size);
        int[] labels = [0, 1, 0, TieMap.Dead, 2, 1];
        var map = new TieMap(layout, labels);
        Assert.Equal(3, map.ClusterCount);
        Assert.Equal(1, map.DeadCount);
        Assert.Equal(new[] { 0, 2 }, map.Members(0).ToArray());
        Assert.Equal(new[] { 1, 5 }, map.Members(1).ToArray());
        Assert.False(map.IsSatisfiedBy(w));

        var means = new float[map.ClusterCount * layout.GroupSize];
        map.ClusterMeans(w, means);
        var enforced = (float[])w.Clone();
        map.Enforce(enforced);
        Assert.True(map.IsSatisfiedBy(enforced));
        for (int o = 0; o < layout.Out; o++)
            for (int k = 0; k < layout.Inner; k++)
            {
                float m0 = (w[Idx(layout, o, 0, k)] + w[Idx(layout, o, 2, k)]) / 2;
                Assert.Equal(m0, enforced[Idx(layout, o, 0, k)], 6);
                Assert.Equal(m0, enforced[Idx(layout, o, 2, k)]);
                Assert.Equal(m0, means[0 * layout.GroupSize + o * layout.Inner + k], 6);
                Assert.Equal(0f, enforced[Idx(layout, o, 3, k)]);
                Assert.Equal(w[Idx(layout, o, 4, k)], enforced[Idx(layout, o, 4, k)]); // singleton untouched
                Assert.Equal(enforced[Idx(layout, o, 1, k)], enforced[Idx(layout, o, 5, k)]);
            }

        // Tied gradients keep an SGD step tied: every member moves by the same summed gradient.
        var grad = ProxTestUtilShim.Random(rng, layout.Size);
        var tied = (float[])grad.Clone();
        map.TieGradients(tied);
        for (int o = 0; o < layout.Out; o++)
            for (int k = 0; k < layout.Inner; k++)
            {
                float sum = grad[Idx(layout, o, 1, k)] + grad[Idx(layout, o, 5, k)];
                Assert.Equal(sum, tied[Idx(layout, o, 1, k)]);
                Assert.Equal(sum, tied[Idx(layout, o, 5, k)]);
                Assert.Equal(0f, tied[Idx(layout, o, 3, k)]);
            }
        for (int i = 0; i < enforced.Length; i++) enforced[i] -= 0.1f * tied[i];
        Assert.True(map.IsSatisfiedBy(enforced));

        // Compact form: Scatter(ClusterMeans(w)) == Enforce(w); ClusterSums holds the summed gradient per cluster.
        var scattered = new float[layout.Size];
        map.Scatter(means, scattered);
        var again = (float[])w.Clone();
        map.Enforce(again);
        Assert.Equal(again, scattered);
        var sums = new float[map.ClusterCount * layout.GroupSize];
        map.ClusterSums(grad, sums);
        for (int o = 0; o < layout.Out; o++)
            for (int k = 0; k < layout.Inner; k++)
                Assert.Equal(tied[Idx(layout, o, 1, k)], sums[1 * layout.GroupSize + o * layout.Inner + k]);
    }

    [Fact]
    public void MetricsFollowThePaper()
    {
        var layout = new GroupLayout(2, 10);
        // 4 dead, 6 live groups in 2 clusters
        var map = new TieMap(layout, [0, 0, 0, 1, 1, 1, -1, -1, -1, -1]);
        var m = map.Metrics;
        Assert.Equal(0.4, m.Sparsity, 12);
        Assert.Equal(3.0, m.ParameterSharing, 12);
        Assert.Equal(5.0, m.Compression, 12);
        var untied = TieMap.Untied(layout, [true, false, false, false, false, false, false, false, false, false]);
        Assert.Equal(9, untied.ClusterCount);
        Assert.Equal(1.0, untied.Metrics.ParameterSharing);
        var allDead = new TieMap(layout, Enumerable.Repeat(-1, 10).ToArray());
        Assert.Equal(double.PositiveInfinity, allDead.Metrics.Compression);
    }

    [Fact]
    public void ToleranceGroupingTiesNearbyGroupsGreedily()
    {
        var layout = new GroupLayout(2, 5);
        // columns: (1,0), (1.01,0), (0,1), (-1,0), (0,0)
        float[] w = [1, 1.01f, 0, -1, 0,
                     0, 0, 1, 0, 0];
        var map = GroupTying.ByTolerance(w, layout, 0.05);
        Assert.Equal(new[] { 0, 0, 1, 2, TieMap.Dead }, map.Labels.ToArray());
        var exact = GroupTying.ByTolerance(w, layout, 0);
        Assert.Equal(4, exact.ClusterCount);
        var dead = new bool[5];
        dead[2] = true;
        Assert.Equal(new[] { 0, 0, TieMap.Dead, 1, TieMap.Dead }, GroupTying.ByTolerance(w, layout, 0.05, dead).Labels.ToArray());
    }

    [Fact]
    public void InvalidLabelsThrow()
    {
        var layout = new GroupLayout(2, 3);
        Assert.Throws<ArgumentException>(() => new TieMap(layout, [0, 2, 2]));   // id 1 unused
        Assert.Throws<ArgumentException>(() => new TieMap(layout, [0, -2, 0]));
        Assert.Throws<ArgumentException>(() => new TieMap(layout, [0, 0]));
        Assert.Throws<ArgumentException>(() => TieMap.FromClusters(layout, [0, 0], [0, 1]));
        Assert.Throws<ArgumentException>(() => new TieMap(layout, [0, 0, 0]).Enforce(new float[5]));
    }

    [Fact]
    public void EnforceAndTieGradientsAllocateNothing()
    {
        var layout = new GroupLayout(16, 40);
        var labels = Enumerable.Range(0, 40).Select(j => j % 7 == 0 ? -1 : j % 5).ToArray();
        var map = new TieMap(layout, labels);
        var w = new float[layout.Size];
        map.Enforce(w);
        map.TieGradients(w);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) { map.Enforce(w); map.TieGradients(w); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
