using System.IO.Compression;
using System.Text;

namespace Knot.Tests.Storage.Interop;

/// <summary>Builds torch.save-shaped zips and small pickles by hand, for cases torch itself would never write.</summary>
internal sealed class TorchZipBuilder
{
    private readonly List<byte> _pickle = [0x80, 0x02];

    public static byte[] Zip(byte[] dataPkl, IReadOnlyDictionary<string, byte[]>? storages = null, string prefix = "archive",
        CompressionLevel storageCompression = CompressionLevel.NoCompression)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes, CompressionLevel level = CompressionLevel.NoCompression)
            {
                using var s = zip.CreateEntry(name, level).Open();
                s.Write(bytes);
            }
            Add(prefix + "/data.pkl", dataPkl);
            foreach (var (key, bytes) in storages ?? new Dictionary<string, byte[]>()) Add(prefix + "/data/" + key, bytes, storageCompression);
            Add(prefix + "/version", "3\n"u8.ToArray());
        }
        return ms.ToArray();
    }

    /// <summary>Copies a torch.save zip, replacing data.pkl.</summary>
    public static byte[] ReplacePickle(byte[] zipBytes, Func<byte[], byte[]> change)
    {
        using var src = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        using var ms = new MemoryStream();
        using (var dst = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var e in src.Entries)
            {
                using var input = e.Open();
                using var buffer = new MemoryStream();
                input.CopyTo(buffer);
                byte[] bytes = e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) ? change(buffer.ToArray()) : buffer.ToArray();
                using var output = dst.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
                output.Write(bytes);
            }
        }
        return ms.ToArray();
    }

    public static byte[] ReadPickle(byte[] zipBytes)
    {
        using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        using var s = entry.Open();
        using var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    public TorchZipBuilder Op(params byte[] bytes)
    {
        _pickle.AddRange(bytes);
        return this;
    }

    public TorchZipBuilder Global(string module, string name) => Op([(byte)'c', .. Encoding.ASCII.GetBytes(module + "\n" + name + "\n")]);

    public TorchZipBuilder Str(string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        return Op([(byte)'X', .. BitConverter.GetBytes(b.Length), .. b]);
    }

    public TorchZipBuilder Int(int v) => Op([(byte)'J', .. BitConverter.GetBytes(v)]);

    public TorchZipBuilder Mark() => Op((byte)'(');

    public TorchZipBuilder Tuple() => Op((byte)'t');

    /// <summary>Pushes _rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict()).</summary>
    public TorchZipBuilder Tensor(string storageType, string key, int numel, int offset, int[] size, int[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Tuple().Op((byte)'Q');
        Int(offset).Mark();
        foreach (int s in size) Int(s);
        Tuple().Mark();
        foreach (int s in stride) Int(s);
        Tuple().Op(0x89).Global("collections", "OrderedDict").Op((byte)')', (byte)'R');
        return Tuple().Op((byte)'R');
    }

    public byte[] Stop() => [.. _pickle, (byte)'.'];
}
