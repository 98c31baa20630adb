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
        var y = Tensor.CreateOutput(shape, clear: true);
        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < inputs; j++)
            {
                int g = groups[j];
                if (g < 0) continue;
                if (g >= groupCount) throw new ArgumentException($"GroupSum: label {g} of input {j} is outside [0, {groupCount}).");
                var src = x.Data.AsSpan((s * inputs + j) * inner, inner);
                var dst = y.Data.AsSpan((s * groupCount + g) * inner, inner);
                TensorPrimitives.Add(dst, src, dst);
            }
        }
        return Records(x) ? Attach(y, new GroupSumNode(x, groups.ToArray(), groupCount)) : y;
    }

    private sealed class GroupSumNode(Tensor x, int[] groups, int groupCount) : Node([x])
    {
        public override void Backward(Tensor output)
        {
            int n = x.Shape[0], inputs = x.Shape[1], inner = x.Rank == 4 ? x.Shape[2] * x.Shape[3] : 1;
            var dy = output.Grad!.Data;
            var dx = x.GradSpan();
            for (int s = 0; s < n; s++)
            {
                for (int j = 0; j < inputs; j++)
                {
                    int g = groups[j];
                    if (g < 0) continue;
                    var d = dx.Slice((s * inputs + j) * inner, inner);
                    TensorPrimitives.Add(d, dy.AsSpan((s * groupCount + g) * inner, inner), d);
                }
            }
        }
    }
}
