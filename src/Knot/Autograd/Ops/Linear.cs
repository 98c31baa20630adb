using Knot.Kernels;
using Knot.Tensors;

namespace Knot.Autograd.Ops;

public static partial class Op
{
    /// <summary>y = x·Wᵀ + b with x (B, in), W (out, in) like PyTorch, b (out) or null.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        RequireRank(x, 2, "Linear", "input");
        RequireRank(weight, 2, "Linear", "weight");
        int batch = x.Shape[0], inFeatures = x.Shape[1], outFeatures = weight.Shape[0];
        if (weight.Shape[1] != inFeatures)
            throw new ArgumentException($"Linear: input has {inFeatures} features but weight {weight.Shape} expects {weight.Shape[1]}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw new ArgumentException($"Linear: bias must have shape ({outFeatures}), got {bias.Shape}.");

        var y = Tensor.CreateOutput(new Shape(batch, outFeatures));
        if (bias is null)
        {
            Gemm.Multiply(false, true, batch, outFeatures, inFeatures, 1f, x.Data, inFeatures, weight.Data, inFeatures, 0f, y.Data, outFeatures);
        }
        else
        {
            // Seed every row with the bias, then accumulate the product on top (beta = 1): one pass, no extra add.
            var b = bias.Data.AsSpan();
            for (int r = 0; r < batch; r++) b.CopyTo(y.Data.AsSpan(r * outFeatures, outFeatures));
            Gemm.Multiply(false, true, batch, outFeatures, inFeatures, 1f, x.Data, inFeatures, weight.Data, inFeatures, 1f, y.Data, outFeatures);
        }
        return Records(x, weight, bias) ? Attach(y, new LinearNode(x, weight, bias)) : y;
    }

    private sealed class LinearNode(Tensor x, Tensor weight, Tensor? bias)
        : Node(bias is null ? [x, weight] : [x, weight, bias])
    {
        public override void Backward(Tensor output)
        {
            int batch = x.Shape[0], inFeatures = x.Shape[1], outFeatures = weight.Shape[0];
            var dy = output.Grad!.Data;
            if (x.RequiresGrad)
                Gemm.Multiply(false, false, batch, inFeatures, outFeatures, 1f, dy, outFeatures, weight.Data, inFeatures, 1f, x.GradSpan(), inFeatures);
            if (weight.RequiresGrad)
                Gemm.Multiply(true, false, outFeatures, inFeatures, batch, 1f, dy, outFeatures, x.Data, inFeatures, 1f, weight.GradSpan(), inFeatures);
            if (bias is not null && bias.RequiresGrad)
                Reductions.AddColumnSums(dy, batch, outFeatures, bias.GradSpan());
        }
    }

    /// <summary>Matrix product of a (m, k) and b (k, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        RequireRank(a, 2, "MatMul", "left operand");
        RequireRank(b, 2, "MatMul", "right operand");
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        if (b.Shape[0] != k) throw new ArgumentException($"MatMul: inner dimensions differ: {a.Shape} x {b.Shape}.");
        var y = Tensor.CreateOutput(new Shape(m, n));
        Gemm.Multiply(false, false, m, n, k, 1f, a.Data, k, b.Data, n, 0f, y.Data, n);
        return Records(a, b) ? Attach(y, new MatMulNode(a, b)) : y;
    }

    private sealed class MatMulNode(Tensor a, Tensor b) : Node([a, b])
    {
        public override void Backward(Tensor output)
        {
            int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
            var dy = output.Grad!.Data;
            if (a.RequiresGrad) Gemm.Multiply(false, true, m, k, n, 1f, dy, n, b.Data, n, 1f, a.GradSpan(), k);
            if (b.RequiresGrad) Gemm.Multiply(true, false, k, n, m, 1f, a.Data, k, dy, n, 1f, b.GradSpan(), n);
        }
    }
}
