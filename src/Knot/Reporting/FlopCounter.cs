using Knot.Autograd;
using Knot.Models;
using Knot.Nn;
using Knot.Tensors;

namespace Knot.Reporting;

/// <summary>
/// Floating-point operations per input sample of each Linear/Conv2d weight: 2 × multiply-adds, i.e. 2·in·out for a
/// fully connected layer and 2·Cout·Cin·kh·kw·Hout·Wout for a convolution. With <c>skipZeros</c> zero weights cost
/// nothing (what a sparse kernel does). Output sizes come from one forward pass of a zero sample.
/// </summary>
public static class FlopCounter
{
    public static Dictionary<string, long> PerLayer(Sequential model, ModelSpec spec, bool skipZeros)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        model.Eval();
        using var _ = GradMode.NoGrad();
        var x = new Tensor(new Shape(1, spec.InputChannels, spec.InputHeight, spec.InputWidth), new float[spec.InputFeatures]);
        foreach (var (name, child) in model.Children)
        {
            var y = child.Forward(x);
            switch (child)
            {
                case Linear l:
                    result[name + ".weight"] = 2 * Count(l.Weight.Value.Data, skipZeros);
                    break;
                case Conv2d c:
                    long positions = y.Shape.Rank == 4 ? (long)y.Shape[2] * y.Shape[3] : 1;
                    result[name + ".weight"] = 2 * Count(c.Weight.Value.Data, skipZeros) * positions;
                    break;
            }
            x = y;
        }
        return result;
    }

    private static long Count(float[] weights, bool skipZeros)
    {
        if (!skipZeros) return weights.Length;
        long n = 0;
        foreach (var w in weights) if (w != 0) n++;
        return n;
    }
}
