using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>Sum of all elements, as a scalar tensor (accumulated in double for accuracy).</summary>
    public static Tensor Sum(Tensor a)
    {
        var y = Tensor.CreateOutput(new Shape());
        y.Data[0] = (float)Kernels.Reductions.SumDouble(a.Data);
        return Records(a) ? Attach(y, new SumNode(a, 1f)) : y;
    }

    /// <summary>Mean of all elements, as a scalar tensor.</summary>
    public static Tensor Mean(Tensor a)
    {
        if (a.Length == 0) throw new ArgumentException("Mean of an empty tensor is undefined.", nameof(a));
        var y = Tensor.CreateOutput(new Shape());
        y.Data[0] = (float)(Kernels.Reductions.SumDouble(a.Data) / a.Length);
        return Records(a) ? Attach(y, new SumNode(a, 1f / a.Length)) : y;
    }

    private sealed class SumNode(Tensor a, float factor) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var dx = Inputs[0].GradSpan();
            TensorPrimitives.Add(dx, output.Grad!.Data[0] * factor, dx);
        }
    }

    /// <summary>A view with another shape over the same data (same element count).</summary>
    public static Tensor Reshape(Tensor a, params int[] dims)
    {
        var shape = ResolveShape(a, dims);
        var y = new Tensor(shape, a.Data);
        return Records(a) ? Attach(y, new ReshapeNode(a)) : y;
    }

    /// <summary>(N, d1, d2, ...) → (N, d1·d2·…).</summary>
    public static Tensor Flatten(Tensor a)
    {
        if (a.Rank < 1) throw new ArgumentException($"Flatten needs rank >= 1, got shape {a.Shape}.", nameof(a));
        return Reshape(a, a.Shape[0], a.Rank == 1 ? 1 : a.Length / Math.Max(1, a.Shape[0]));
    }

    private static Shape ResolveShape(Tensor a, int[] dims)
    {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"Reshape: at most one -1 allowed, got ({string.Join(", ", dims)}).");
                inferred = i;
            }
            else known *= dims[i];
        }
        var resolved = (int[])dims.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || a.Length % known != 0)
                throw new ArgumentException($"Reshape: cannot infer -1 in ({string.Join(", ", dims)}) for {a.Length} elements.");
            resolved[inferred] = (int)(a.Length / known);
        }
        var shape = new Shape(resolved);
        if (shape.Size != a.Length)
            throw new ArgumentException($"Reshape: shape {a.Shape} ({a.Length} elements) cannot become {shape} ({shape.Size} elements).");
        return shape;
    }

    private sealed class ReshapeNode(Tensor a) : Node([a])
    {
        public override void Backward(Tensor output)
        {
            var dx = Inputs[0].GradSpan();
            TensorPrimitives.Add(dx, output.Grad!.Data, dx);
        }
    }
}
