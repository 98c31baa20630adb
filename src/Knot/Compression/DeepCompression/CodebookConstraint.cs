using Knot.Compression.Quantization;
using Knot.Nn;

namespace Knot.Compression.DeepCompression;

/// <summary>
/// Trained quantization's centroid fine-tuning (Deep Compression §3.2) expressed as a parameter constraint, so the
/// ordinary trainer and optimizer do the update. Every weight sharing centroid j starts equal to c_j.
/// <para>Before the step, each member's gradient is replaced by the centroid's gradient Σ_{i∈j} ∂L/∂w_i (pruned
/// weights get 0). All members of a centroid then see identical gradients, so any element-wise optimizer (SGD with
/// momentum and weight decay, Adam — with state that starts fresh for this stage) moves them identically: a plain SGD
/// step gives every member c_j − lr·Σ grad, exactly the paper's centroid update, and the schedule and momentum apply to
/// centroids as they would to any parameter.</para>
/// <para>After the step, the centroid becomes the mean of its members — they received identical updates, so this is
/// the optimizer's step itself and only guards against float drift; it is the one place the codebook changes — and is
/// written back into the codebook and every member, pruned weights set to 0: the weights stay exactly on the codebook.</para>
/// </summary>
public sealed class CodebookConstraint : IParameterConstraint
{
    private readonly float[] _centroidGradients;
    private readonly double[] _sums;
    private readonly int[] _counts;

    public CodebookConstraint(QuantizedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layer = layer;
        _centroidGradients = new float[layer.Codebook.Length];
        _sums = new double[layer.Codebook.Length];
        _counts = new int[layer.Codebook.Length];
    }

    public QuantizedLayer Layer { get; }

    public void TransformGradient(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckLength(parameter);
        var grad = parameter.Grad.Data;
        var indices = Layer.Indices;
        CentroidFineTuning.SumGradients(grad, indices, _centroidGradients);
        for (int i = 0; i < grad.Length; i++) grad[i] = indices[i] == QuantizedLayer.Pruned ? 0f : _centroidGradients[indices[i]];
    }

    public void Enforce(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckLength(parameter);
        var w = parameter.Data;
        var indices = Layer.Indices;
        Array.Clear(_sums);
        Array.Clear(_counts);
        for (int i = 0; i < w.Length; i++)
        {
            int j = indices[i];
            if (j < 0) continue;
            _sums[j] += w[i];
            _counts[j]++;
        }
        var codebook = Layer.Codebook;
        for (int j = 0; j < codebook.Length; j++) if (_counts[j] > 0) codebook[j] = (float)(_sums[j] / _counts[j]);
        Layer.WriteWeights(w);
    }

    private void CheckLength(Parameter parameter)
    {
        if (parameter.Value.Length != Layer.Indices.Length)
            throw new ArgumentException($"The codebook constraint covers {Layer.Indices.Length} weights, the parameter has {parameter.Value.Length}.", nameof(parameter));
    }
}
