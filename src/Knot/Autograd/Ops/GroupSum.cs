using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>
    /// Sums input features (rank 2) or channels (rank 4, axis 1) into groups: y[:, g] = Σ_{j: group[j] = g} x[:, j];
    /// inputs with group −1 are dropped. This is how a GrOWL-finalized layer consumes tied inputs: the shared
    /// column multiplies the members' sum, which equals the members each multiplied by the same column.
    /// </summary>
    public static Tensor GroupSum(Tensor x, ReadOnlySpan<int> groups, int groupCount)
    {
        if (x.Rank is not (2 or 4)) throw new ArgumentException($"GroupSum: input must be (N, F) or (N, C, H, W), got {x.Shape}.");
        int n = x.Shape[0], inputs = x.Shape[1], inner = x.Rank == 4 ? x.Shape[2] * x.Shape[3] : 1;
        if (groups.Length != inputs) throw new ArgumentException($"GroupSum: {groups.Length} group labels for {inputs} inputs.");
        var shape = x.Rank == 4 ? new Shape(n, groupCount, x.Shape[2], x.Shape[3]) : new Shape(n, groupCount);
        for (int j = 0; j < inputs; j++)
            if (groups[j] >= groupCount) throw new ArgumentException($"GroupSum: label {groups[j]} of input {j} is outside [0, {groupCount}).");
        var y = Tensor.CreateOutput(shape, clear: true);
        Scatter(x.Data, y.Data, groups, n, inputs, groupCount, inner, toGroups: true);
        return Records(x) ? Attach(y, new GroupSumNode(x, groups.ToArray(), groupCount)) : y;
    }

    private sealed class GroupSumNode(Tensor x, int[] groups, int groupCount) : Node([x])
    {
        public override void Backward(Tensor output)
        {
            int n = x.Shape[0], inputs = x.Shape[1], inner = x.Rank == 4 ? x.Shape[2] * x.Shape[3] : 1;
            Scatter(output.Grad!.Data, x.GradSpan(), groups, n, inputs, groupCount, inner, toGroups: false);
        }
    }

    /// <summary>
    /// toGroups: y[s, g] += x[s, j] for every input j of group g (forward); otherwise x[s, j] += y[s, g] (backward).
    /// Fully connected inputs (inner = 1) take a plain scalar loop: a vector call per single float cost more than the
    /// finalized layer's whole GEMM (measured with `knot run` on a 32-cluster growl-mnist file).
    /// </summary>
    private static void Scatter(ReadOnlySpan<float> from, Span<float> to, ReadOnlySpan<int> groups, int n, int inputs, int groupCount, int inner, bool toGroups)
    {
        int fromWidth = (toGroups ? inputs : groupCount) * inner, toWidth = (toGroups ? groupCount : inputs) * inner;
        for (int s = 0; s < n; s++)
        {
            var src = from.Slice(s * fromWidth, fromWidth);
            var dst = to.Slice(s * toWidth, toWidth);
            for (int j = 0; j < inputs; j++)
            {
                int g = groups[j];
                if (g < 0) continue;
                int a = toGroups ? j : g, b = toGroups ? g : j;
                if (inner == 1) dst[b] += src[a];
                else
                {
                    var d = dst.Slice(b * inner, inner);
                    TensorPrimitives.Add(d, src.Slice(a * inner, inner), d);
                }
            }
        }
    }
}
