using Knot.Tensors;

namespace Knot.Data;

/// <summary>
/// Cuts a <see cref="LabeledDataset"/> (or a subset of its indices) into batches. The order of epoch e is a
/// seeded permutation that depends only on (seed, e), and each sample's augmentation only on (seed, e, sample),
/// so a run resumed at (epoch, batch) sees exactly the batches the original run would have: the loader holds no
/// state a checkpoint needs beyond those two numbers. Batches are written into buffers allocated once (one set for
/// full batches, one for a smaller last batch), so steady-state iteration allocates nothing.
/// Not thread-safe: one consumer at a time.
/// </summary>
public sealed class DataLoader
{
    private readonly LabeledDataset _dataset;
    private readonly int[] _indices;
    private readonly int[] _order;
    private readonly float[] _fill;
    private readonly Tensor? _fullImages;
    private readonly int[]? _fullLabels;
    private readonly Tensor? _lastImages;
    private readonly int[]? _lastLabels;
    private int _orderEpoch = -1;

    /// <param name="dataset">The samples.</param>
    /// <param name="options">Batch size, shuffling, seed, augmentation.</param>
    /// <param name="indices">The sample indices to use (e.g. one side of a <see cref="ValidationSplit"/>); null: all.</param>
    public DataLoader(LabeledDataset dataset, DataLoaderOptions options, int[]? indices = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be >= 1");

        _dataset = dataset;
        Options = options;
        if (indices is null)
        {
            _indices = new int[dataset.Count];
            for (int i = 0; i < _indices.Length; i++) _indices[i] = i;
        }
        else
        {
            for (int i = 0; i < indices.Length; i++)
            {
                if ((uint)indices[i] >= (uint)dataset.Count)
                    throw new ArgumentException($"Index {indices[i]} at position {i} is outside the dataset's [0, {dataset.Count}).", nameof(indices));
            }
            _indices = (int[])indices.Clone();
        }
        _order = new int[_indices.Length];

        _fill = new float[dataset.ImageShape[0]];
        for (int c = 0; c < _fill.Length; c++) _fill[c] = dataset.Normalization.Apply(c, 0f);

        int fullBatches = SampleCount / options.BatchSize;
        int remainder = SampleCount % options.BatchSize;
        bool keepLast = remainder != 0 && !options.DropLast;
        BatchesPerEpoch = fullBatches + (keepLast ? 1 : 0);
        // Full batches and a short last batch each get their own buffers, so both sizes are reused as-is.
        if (fullBatches > 0)
        {
            _fullImages = Tensor.Zeros(BatchShape(options.BatchSize));
            _fullLabels = new int[options.BatchSize];
        }
        if (keepLast)
        {
            _lastImages = Tensor.Zeros(BatchShape(remainder));
            _lastLabels = new int[remainder];
        }
    }

    public DataLoaderOptions Options { get; }

    /// <summary>Samples per epoch (before dropping a short last batch).</summary>
    public int SampleCount => _indices.Length;

    public int BatchesPerEpoch { get; }

    /// <summary>Shape of a batch of <paramref name="count"/> samples.</summary>
    public Shape BatchShape(int count)
    {
        var s = _dataset.ImageShape;
        return Options.Flatten ? new Shape(count, s.Size) : new Shape(count, s[0], s[1], s[2]);
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>, from batch <paramref name="firstBatch"/> on (for resuming).</summary>
    public EpochBatches Epoch(int epoch, int firstBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (firstBatch < 0 || firstBatch > BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(firstBatch), firstBatch, $"must be in [0, {BatchesPerEpoch}]");
        return new EpochBatches(this, epoch, firstBatch);
    }

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them.</summary>
    public ReadOnlySpan<int> EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        PrepareOrder(epoch);
        return _order;
    }

    /// <summary>Fills the reusable buffers with batch <paramref name="index"/> of epoch <paramref name="epoch"/>.</summary>
    public Batch GetBatch(int epoch, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if ((uint)index >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in [0, {BatchesPerEpoch})");
        PrepareOrder(epoch);

        int start = index * Options.BatchSize;
        int count = Math.Min(Options.BatchSize, SampleCount - start);
        Tensor images;
        int[] labels;
        if (count == Options.BatchSize) { images = _fullImages!; labels = _fullLabels!; }
        else { images = _lastImages!; labels = _lastLabels!; }

        int sampleLength = _dataset.SampleLength;
        var source = _dataset.Images.AsSpan();
        var destination = images.Data.AsSpan();
        var augmentation = Options.Augmentation;
        var shape = _dataset.ImageShape;
        for (int i = 0; i < count; i++)
        {
            int sample = _order[start + i];
            labels[i] = _dataset.Labels[sample];
            var from = source.Slice(sample * sampleLength, sampleLength);
            var to = destination.Slice(i * sampleLength, sampleLength);
            if (augmentation is null)
                from.CopyTo(to);
            else
                augmentation.Apply(from, to, shape[0], shape[1], shape[2], _fill,
                    SeedMixer.Mix(Options.Seed, SeedMixer.AugmentStream, (ulong)epoch, (ulong)sample));
        }
        return new Batch(images, labels, epoch, index);
    }

    private void PrepareOrder(int epoch)
    {
        if (_orderEpoch == epoch) return;
        _indices.CopyTo(_order, 0);
        if (Options.Shuffle)
            new KnotRandom(SeedMixer.Mix(Options.Seed, SeedMixer.ShuffleStream, (ulong)epoch)).Shuffle(_order);
        _orderEpoch = epoch;
    }

    /// <summary>Allocation-free <c>foreach</c> over one epoch's batches.</summary>
    public readonly struct EpochBatches
    {
        private readonly DataLoader _loader;
        private readonly int _epoch;
        private readonly int _first;

        internal EpochBatches(DataLoader loader, int epoch, int first) => (_loader, _epoch, _first) = (loader, epoch, first);

        public Enumerator GetEnumerator() => new(_loader, _epoch, _first);

        public struct Enumerator
        {
            private readonly DataLoader _loader;
            private readonly int _epoch;
            private int _next;

            internal Enumerator(DataLoader loader, int epoch, int first)
            {
                _loader = loader;
                _epoch = epoch;
                _next = first;
                Current = default;
            }

            public Batch Current { get; private set; }

            public bool MoveNext()
            {
                if (_next >= _loader.BatchesPerEpoch) return false;
                Current = _loader.GetBatch(_epoch, _next++);
                return true;
            }
        }
    }
}
