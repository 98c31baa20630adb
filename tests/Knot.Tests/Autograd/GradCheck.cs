using Knot.Autograd;
using Knot.Tensors;

namespace Knot.Tests.Autograd;

/// <summary>
/// Central-difference gradient checker. The op output y is reduced with fixed random weights r
/// (L = Σ r·y, accumulated in double) so every output element's gradient path is exercised.
/// </summary>
public static class GradCheck
{
    public sealed record Result(bool Ok, double MaxError, string Where);

    /// <summary>Compares analytic and numeric gradients of every input with RequiresGrad.</summary>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-2, double tolerance = 2e-2, ulong seed = 7)
    {
        foreach (var t in inputs) t.Grad = null;
        var y = f(inputs);
        var rng = new KnotRandom(seed);
        var r = new float[y.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        y.Backward(Tensor.FromArray(r, y.Shape.ToArray()));

        double Loss()
        {
            using var _ = GradMode.NoGrad();
            var out_ = f(inputs);
            double s = 0;
            for (int i = 0; i < r.Length; i++) s += (double)r[i] * out_.Data[i];
            return s;
        }

        double worst = 0;
        string where = "";
        for (int t = 0; t < inputs.Length; t++)
        {
            var x = inputs[t];
            if (!x.RequiresGrad) continue;
            var analytic = x.Grad?.Data ?? new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                float saved = x.Data[i];
                x.Data[i] = (float)(saved + eps);
                double plus = Loss();
                x.Data[i] = (float)(saved - eps);
                double minus = Loss();
                x.Data[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.Abs(numeric - analytic[i]) / Math.Max(1.0, Math.Abs(numeric));
                if (err > worst) { worst = err; where = $"input {t} element {i}: analytic {analytic[i]}, numeric {numeric}"; }
            }
        }
        return new Result(worst <= tolerance, worst, where);
    }

    public static void AssertGradients(Func<Tensor[], Tensor> f, params Tensor[] inputs) => AssertGradients(f, 1e-2, 2e-2, inputs);

    public static void AssertGradients(Func<Tensor[], Tensor> f, double eps, double tolerance, params Tensor[] inputs)
    {
        var result = Check(f, inputs, eps, tolerance);
        Assert.True(result.Ok, $"Gradient check failed, max relative error {result.MaxError:G4} at {result.Where}");
    }

    public static Tensor Random(KnotRandom rng, params int[] dims)
    {
        var t = Tensor.Zeros(dims);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        t.RequiresGrad = true;
        return t;
    }
}
