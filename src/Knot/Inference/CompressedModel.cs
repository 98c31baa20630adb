using Knot.Autograd;
using Knot.Nn;
using Knot.Storage.Compressed;
using Knot.Storage.Models;
using Knot.Tensors;

namespace Knot.Inference;

/// <summary>
/// Inference straight from a .knot file. Linear layers compute on the stored representation of their weight — CSR
/// with float values or codebook codes for sparse tensors, code gathers for dense-codebook tensors — without
/// expanding it to a dense matrix (<see cref="SparseLinearKernels"/>). A weight stored dense float32 (nothing to
/// exploit: GrOWL's finalized layers, a layer the writer found cheapest dense) is already in the engine's form and runs
/// through the engine's GEMM. GroupSum (GrOWL's tied inputs) and the
/// remaining layers (convolution, pooling, BatchNorm, ReLU, Flatten) run through the normal engine, convolutions and
/// BatchNorm with weights decoded once at load. Outputs equal the decoded dense model's up to float summation order.
/// Not thread-safe: one instance runs one batch at a time (its buffers are reused between calls).
/// </summary>
public sealed class CompressedModel
{
    private readonly List<(string Name, Module? Engine, CompressedLinear? Linear)> _layers = [];
    private readonly List<(string Layer, string Kernel)> _kernels = [];
    private readonly TensorArena _arena = new();

    public CompressedModel(KnotFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        // The rebuilt network supplies the non-Linear layers with decoded weights; its Linear weights are never used.
        var decoded = KnotModelFile.FromFile(file, source);
        Spec = decoded.Spec;
        DenseParameters = decoded.DenseParameters;
        File = file;
        foreach (var (name, m) in decoded.Model.Children)
        {
            if (m is Linear l && file[name + ".weight"] is not DenseKnotTensor)
            {
                var compressed = new CompressedLinear(file, name, l.InFeatures, l.OutFeatures, l.Bias is not null, source);
                _layers.Add((name, null, compressed));
                _kernels.Add((name, compressed.Kernel));
            }
            else
            {
                _layers.Add((name, m, null));
                if (m is Linear) _kernels.Add((name, "dense-f32"));
            }
        }
    }

    public static CompressedModel Load(string path) => new(KnotFile.Read(path), Path.GetFileName(path));

    public KnotFile File { get; }
    public Models.ModelSpec? Spec { get; }
    public long DenseParameters { get; }

    /// <summary>How each Linear layer is computed ("csr+f32", "csr+codebook", "dense-codebook", "dense-f32").</summary>
    public IEnumerable<(string Layer, string Kernel)> LinearKernels => _kernels;

    /// <summary>Logits for a batch (N, …). The result is valid until the next call.</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _arena.Reset();
        using var scope = _arena.Activate();
        using var noGrad = GradMode.NoGrad();
        var x = input;
        foreach (var (_, engine, linear) in _layers)
            x = linear is not null ? linear.Forward(x, _arena) : engine!.Forward(x);
        return x;
    }

    private sealed class CompressedLinear
    {
        private readonly int _in, _out;
        private readonly float[]? _bias;
        private readonly KnotFloatTensor _weight;
        private readonly int[]? _rowPointers, _columns;

        public CompressedLinear(KnotFile file, string name, int inFeatures, int outFeatures, bool bias, string source)
        {
            _in = inFeatures;
            _out = outFeatures;
            _weight = (KnotFloatTensor)file[name + ".weight"]; // shape and type checked when the model was rebuilt
            if (bias) _bias = file.GetDense(name + ".bias");
            switch (_weight)
            {
                case SparseKnotTensor s: (_rowPointers, _columns, Kernel) = (s.Structure.RowPointers, s.Structure.ColumnIndices, "csr+f32"); break;
                case SparseCodebookKnotTensor s: (_rowPointers, _columns, Kernel) = (s.Structure.RowPointers, s.Structure.ColumnIndices, "csr+codebook"); break;
                case CodebookKnotTensor: Kernel = "dense-codebook"; break;
                default: throw new InvalidDataException($"{source}: tensor '{name}.weight' has an unsupported representation {_weight.GetType().Name}.");
            }
        }

        public string Kernel { get; }

        public Tensor Forward(Tensor input, TensorArena arena)
        {
            int batch = input.Shape[0];
            if (input.Shape.Size != batch * _in)
                throw new ArgumentException($"Linear layer expects {_in} features per sample, got input of shape {input.Shape}.", nameof(input));
            var xT = arena.Rent(_in * batch, clear: false);
            SparseLinearKernels.Transpose(input.Data, batch, _in, xT);
            var yT = arena.Rent(_out * batch, clear: false);
            for (int r = 0; r < _out; r++) yT.AsSpan(r * batch, batch).Fill(_bias is null ? 0f : _bias[r]);
            switch (_weight)
            {
                case SparseKnotTensor s: SparseLinearKernels.CsrFloat(_rowPointers, _columns, s.Values, xT, yT, batch); break;
                case SparseCodebookKnotTensor s: SparseLinearKernels.CsrCodebook(_rowPointers, _columns, s.Codes, s.Codebook, xT, yT, batch); break;
                case CodebookKnotTensor c: SparseLinearKernels.DenseCodebook(c.Codes, _in, c.Codebook, xT, yT, batch); break;
            }
            var y = arena.Rent(_out * batch, clear: false);
            SparseLinearKernels.Transpose(yT, _out, batch, y);
            return new Tensor(new Shape(batch, _out), y);
        }
    }
}
