using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using Knot.Storage.Checkpoints;

namespace Knot.Storage.Interop;

/// <summary>
/// Reads tensors from a PyTorch <c>torch.save</c> file in the default zip format ("&lt;name&gt;/data.pkl" plus one
/// "&lt;name&gt;/data/&lt;key&gt;" entry per storage) without executing anything: data.pkl goes through
/// <see cref="RestrictedUnpickler"/>, which refuses every global that is not a known tensor constructor.
/// Nested containers are flattened to dotted names ({'model': {'fc1.weight': t}} → "model.fc1.weight"; list items
/// by index), strided views and storage offsets are materialized as contiguous float32, and
/// float64/float16/bfloat16 are converted to float32 (integers per <see cref="IntegerTensorHandling"/>).
/// A file that holds a single tensor yields one tensor named "tensor".
/// </summary>
public static class TorchStateDictReader
{
    private const int MaxNestingDepth = 64;
    private const long MaxPickleBytes = 1L << 30;

    public static ImportedWeights Read(string path, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, Path.GetFileName(path), integers);
    }

    /// <summary>Reads from a seekable stream; <paramref name="sourceName"/> names the file in messages.</summary>
    public static ImportedWeights Read(Stream stream, string sourceName, IntegerTensorHandling integers = IntegerTensorHandling.ConvertExact)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!Enum.IsDefined(integers)) throw new ArgumentOutOfRangeException(nameof(integers), integers, "Unknown integer tensor handling.");
        if (!stream.CanSeek) throw new ArgumentException("Reading a torch.save zip needs a seekable stream.", nameof(stream));

        Span<byte> head = stackalloc byte[WeightFileFormats.SniffLength];
        long start = stream.Position;
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        var format = WeightFileFormats.Detect(head[..n], stream.Length - start);
        if (format != WeightFileFormat.Zip)
            throw new InvalidDataException(n == 0
                ? $"{sourceName}: the file is empty, not a PyTorch torch.save file."
                : $"{sourceName}: not a PyTorch zip archive (torch.save's default format): it looks like {WeightFileFormats.Describe(format)}.");

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (IsZipFailure(e))
        {
            throw Corrupt(sourceName, e);
        }
        using (zip)
            return new Loader(zip, sourceName, integers, stream.Length - start).Load();
    }

    /// <summary>Exceptions System.IO.Compression throws for damaged archives (bad offsets, sizes, deflate data).</summary>
    private static bool IsZipFailure(Exception e) => e is InvalidDataException or IOException or ArgumentException or NotSupportedException or OverflowException;

    private static InvalidDataException Corrupt(string source, Exception e) =>
        new($"{source}: the zip archive is truncated or corrupt ({e.Message})", e);

    private sealed class Loader(ZipArchive zip, string source, IntegerTensorHandling integers, long fileLength)
    {
        // Views can repeat storage elements (stride 0, overlapping strides) and zip entries can be deflated, so a
        // small file could ask for gigabytes. Materialized floats are capped at 16 Mi + 4 per file byte, and an entry
        // may inflate at most 64× (+1 MiB); torch.save stores entries uncompressed, so real files are far inside both.
        private readonly long _floatBudget = (16L << 20) + (4 * fileLength);
        private long _materialized;
        private readonly Dictionary<string, byte[]> _storages = new(StringComparer.Ordinal);
        private readonly ImportedWeights _result = new(source);
        private string _prefix = "";
        private bool _bigEndian;

        public ImportedWeights Load()
        {
            IReadOnlyCollection<ZipArchiveEntry> entries;
            try
            {
                entries = zip.Entries;
            }
            catch (Exception e) when (IsZipFailure(e))
            {
                throw Corrupt(source, e);
            }
            var pickleEntry = entries
                .Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') <= 1
                    && (e.FullName.Length == 8 || e.FullName[^9] == '/'))
                .OrderBy(e => e.FullName.Length)
                .FirstOrDefault();
            if (pickleEntry is null)
            {
                bool torchScript = entries.Any(e => e.FullName.EndsWith("constants.pkl", StringComparison.Ordinal));
                throw Bad(torchScript
                    ? "this is a TorchScript archive (torch.jit.save), not a torch.save state dict; save model.state_dict() with torch.save instead"
                    : "the zip archive has no '<name>/data.pkl' entry, so it is not a torch.save file");
            }
            _prefix = pickleEntry.FullName[..^"data.pkl".Length];
            var byteOrder = FindEntry(_prefix + "byteorder");
            if (byteOrder is not null)
            {
                string order = System.Text.Encoding.ASCII.GetString(ReadEntry(byteOrder, 16, "byteorder")).Trim();
                _bigEndian = order switch
                {
                    "little" => false,
                    "big" => true,
                    _ => throw Bad($"the byteorder entry says '{order}', expected 'little' or 'big'"),
                };
            }

            object? root = RestrictedUnpickler.Load(ReadEntry(pickleEntry, MaxPickleBytes, "data.pkl"), source);
            Flatten(root, "", 0);
            return _result;
        }

        private void Flatten(object? value, string name, int depth)
        {
            if (depth > MaxNestingDepth) throw Bad($"'{name}' is nested more than {MaxNestingDepth} levels deep (or the pickle is cyclic)");
            switch (value)
            {
                case TorchTensorRef t:
                    AddTensor(name.Length == 0 ? "tensor" : name, t);
                    break;
                case PyDict dict:
                    foreach (var (key, item) in dict.Items)
                        Flatten(item, Join(name, KeyText(key)), depth + 1);
                    break;
                case PyList list:
                    for (int i = 0; i < list.Items.Count; i++) Flatten(list.Items[i], Join(name, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                case PyTuple tuple:
                    for (int i = 0; i < tuple.Items.Length; i++) Flatten(tuple.Items[i], Join(name, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                case string or long or BigInteger or double or bool:
                    AddMetadata(name, KeyText(value));
                    break;
                default:
                    break; // None, bytes, bare globals and storages carry no weights.
            }
        }

        private void AddMetadata(string name, string text)
        {
            if (!_result.Metadata.TryAdd(name.Length == 0 ? "value" : name, text))
                throw Bad($"the name '{name}' occurs twice after flattening nested containers to dotted names");
        }

        private void AddTensor(string name, TorchTensorRef t)
        {
            var storage = t.Storage;
            string dtypeName = TorchElementConverter.TorchName(storage.Dtype);
            if (TorchElementConverter.IsInteger(storage.Dtype) && integers == IntegerTensorHandling.Skip)
            {
                _result.SkippedIntegerTensors.Add(name);
                return;
            }

            long count = 1;
            foreach (long s in t.Size)
            {
                if (s > int.MaxValue) throw Bad($"tensor '{name}' has a dimension of {s}, larger than Knot supports");
                count *= s;
                if (count > Array.MaxLength) throw Bad($"tensor '{name}' has shape ({string.Join(", ", t.Size)}), more elements than a .NET array can hold");
            }
            if (count > 0)
            {
                Int128 last = t.StorageOffset;
                for (int d = 0; d < t.Size.Length; d++) last += (Int128)(t.Size[d] - 1) * t.Stride[d];
                if (last >= storage.ElementCount)
                    throw Bad($"tensor '{name}' (offset {t.StorageOffset}, shape ({string.Join(", ", t.Size)}), stride ({string.Join(", ", t.Stride)})) reaches element {last} of storage '{storage.Key}', which has {storage.ElementCount}");
            }
            _materialized += count;
            if (_materialized > _floatBudget)
                throw Bad($"tensor '{name}' brings the floats to materialize to {_materialized}, over the limit of {_floatBudget} for a {fileLength}-byte file (views that repeat storage elements, e.g. expand())");
            byte[] bytes = count == 0 ? [] : LoadStorage(storage);
            float[] data = TorchElementConverter.Gather(bytes, storage.Dtype, _bigEndian, t.StorageOffset, t.Size, t.Stride, (int)count,
                v => Bad($"tensor '{name}' ({dtypeName}) holds {v}, which float32 cannot represent exactly; import with IntegerTensorHandling.Skip to leave it out"));
            if (!_result.Tensors.TryAdd(name, new StoredTensor(t.Size.Select(s => (int)s).ToArray(), data)))
                throw Bad($"the name '{name}' occurs twice after flattening nested containers to dotted names");
            _result.SourceDtypes[name] = dtypeName;
        }

        private byte[] LoadStorage(TorchStorageRef storage)
        {
            if (_storages.TryGetValue(storage.Key, out var cached)) return cached;
            long bytes = storage.ElementCount * TorchElementConverter.SizeOf(storage.Dtype);
            if (storage.ElementCount > Array.MaxLength || bytes > Array.MaxLength)
                throw Bad($"storage '{storage.Key}' declares {storage.ElementCount} elements ({bytes} bytes), more than Knot can load into one array");
            var entry = FindEntry(_prefix + "data/" + storage.Key)
                ?? throw Bad($"data.pkl refers to storage '{storage.Key}' but the archive has no entry '{_prefix}data/{storage.Key}'");
            if (entry.Length < bytes)
                throw Bad($"storage '{storage.Key}' needs {storage.ElementCount} × {TorchElementConverter.SizeOf(storage.Dtype)} = {bytes} bytes but its entry holds {entry.Length}");
            byte[] data = ReadEntry(entry, bytes, $"storage '{storage.Key}'", exact: bytes);
            _storages[storage.Key] = data;
            return data;
        }

        /// <summary>Reads an entry (or its first <paramref name="exact"/> bytes) without trusting its declared size beyond <paramref name="limit"/>.</summary>
        private byte[] ReadEntry(ZipArchiveEntry entry, long limit, string what, long exact = -1)
        {
            long want = exact >= 0 ? exact : entry.Length;
            if (want > limit) throw Bad($"{what} is {entry.Length} bytes, more than the {limit}-byte limit");
            if (want > (64 * entry.CompressedLength) + (1 << 20))
                throw Bad($"{what} inflates {entry.CompressedLength} compressed bytes to {want}, more than Knot accepts (zip bomb?)");
            var buffer = new byte[want];
            int got;
            try
            {
                using var s = entry.Open();
                got = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (Exception e) when (IsZipFailure(e))
            {
                throw Bad($"{what} cannot be read: the zip archive is truncated or corrupt ({e.Message})");
            }
            if (got < buffer.Length) throw Bad($"{what} ended after {got} of its {want} bytes (truncated)");
            return buffer;
        }

        private ZipArchiveEntry? FindEntry(string name)
        {
            try
            {
                return zip.GetEntry(name);
            }
            catch (Exception e) when (IsZipFailure(e))
            {
                throw Corrupt(source, e);
            }
        }

        private static string Join(string prefix, string key) => prefix.Length == 0 ? key : prefix + "." + key;

        private static string KeyText(object? key) => key switch
        {
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            BigInteger b => b.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => RestrictedUnpickler.TypeName(key),
        };

        private InvalidDataException Bad(string message) => new($"{source}: {message}.");
    }
}
