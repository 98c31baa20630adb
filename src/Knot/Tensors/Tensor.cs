using Knot.Autograd;

namespace Knot.Tensors;

/// <summary>
/// A contiguous, row-major float32 tensor. <see cref="Data"/> always has exactly <see cref="Length"/> elements.
/// Tensors that come out of an op record the op (<see cref="GradFn"/>) when gradients are enabled and some
/// input requires a gradient; <see cref="Backward"/> then accumulates gradients into every leaf that needs one.
/// </summary>
public sealed class Tensor
{
    public Tensor(Shape shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != shape.Size)
            throw new ArgumentException($"Data has {data.Length} elements but shape {shape} needs {shape.Size}.", nameof(data));
        Shape = shape;
        Data = data;
    }

    public Shape Shape { get; }
    public float[] Data { get; }
    public int Length => Data.Length;
    public int Rank => Shape.Rank;
    public Span<float> Span => Data;

    /// <summary>Gradient of the last backward pass (accumulated). Null until a backward reaches this tensor.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>Whether gradients flow to this tensor. Parameters set it; op outputs inherit it.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    internal int VisitStamp;

    public static Tensor Zeros(params int[] dims) => new(new Shape(dims), new float[new Shape(dims).Size]);

    public static Tensor Zeros(Shape shape) => new(shape, new float[shape.Size]);

    public static Tensor Full(float value, params int[] dims)
    {
        var t = Zeros(dims);
        Array.Fill(t.Data, value);
        return t;
    }

    /// <summary>Wraps (does not copy) an array.</summary>
    public static Tensor FromArray(float[] data, params int[] dims) => new(new Shape(dims), data);

    public static Tensor Scalar(float value) => new(new Shape(), [value]);

    /// <summary>An op output buffer: from the active arena when there is one. Contents are undefined unless clear.</summary>
    internal static Tensor CreateOutput(Shape shape, bool clear = false) => new(shape, TensorArena.Allocate(shape.Size, clear));

    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {Shape}.");
        return Data[0];
    }

    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Index has {index.Length} coordinates, tensor has rank {Rank}.");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int d = Shape[i];
            if ((uint)index[i] >= (uint)d) throw new IndexOutOfRangeException($"Index {index[i]} out of range for axis {i} of size {d}.");
            flat = flat * d + index[i];
        }
        return flat;
    }

    /// <summary>A copy that shares nothing and records no history.</summary>
    public Tensor Clone() => new(Shape, (float[])Data.Clone());

    /// <summary>The same data without history (shares the buffer).</summary>
    public Tensor Detach() => new(Shape, Data);

    /// <summary>The gradient buffer, created (zeroed) if missing. Leaves get a permanent array; intermediates use the arena.</summary>
    internal Span<float> GradSpan()
    {
        if (Grad is null)
        {
            var data = IsLeaf ? new float[Length] : TensorArena.Allocate(Length, clear: true);
            Grad = new Tensor(Shape, data);
        }
        return Grad.Data;
    }

    /// <summary>Back-propagates from this tensor. A scalar gets seed gradient 1; otherwise pass <paramref name="seed"/>.</summary>
    public void Backward(Tensor? seed = null) => AutogradEngine.Backward(this, seed);

    public override string ToString() => $"Tensor{Shape}";
}
