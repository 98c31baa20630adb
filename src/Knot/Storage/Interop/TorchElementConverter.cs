using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Knot.Storage.Interop;

/// <summary>Converts storage elements of any supported dtype to float32, gathering strided views into contiguous arrays.</summary>
internal static class TorchElementConverter
{
    public static int SizeOf(TorchDtype dtype) => dtype switch
    {
        TorchDtype.Float64 or TorchDtype.Int64 => 8,
        TorchDtype.Float32 or TorchDtype.Int32 => 4,
        TorchDtype.Float16 or TorchDtype.BFloat16 or TorchDtype.Int16 => 2,
        _ => 1,
    };

    public static bool IsInteger(TorchDtype dtype) => dtype is TorchDtype.Int64 or TorchDtype.Int32 or TorchDtype.Int16
        or TorchDtype.Int8 or TorchDtype.UInt8 or TorchDtype.Bool;

    public static string TorchName(TorchDtype dtype) => dtype switch
    {
        TorchDtype.Float32 => "float32",
        TorchDtype.Float64 => "float64",
        TorchDtype.Float16 => "float16",
        TorchDtype.BFloat16 => "bfloat16",
        TorchDtype.Int64 => "int64",
        TorchDtype.Int32 => "int32",
        TorchDtype.Int16 => "int16",
        TorchDtype.Int8 => "int8",
        TorchDtype.UInt8 => "uint8",
        _ => "bool",
    };

    /// <summary>
    /// Gathers the view (offset, size, stride — in elements) of <paramref name="storage"/> into a new contiguous
    /// float32 array. The caller has checked that every index the view touches lies inside the storage.
    /// </summary>
    public static float[] Gather(ReadOnlySpan<byte> storage, TorchDtype dtype, bool bigEndian, long offset, long[] size, long[] stride,
        int count, Func<long, Exception> inexact)
    {
        var result = new float[count];
        if (count == 0) return result;
        int rank = size.Length;
        bool contiguous = true;
        long expected = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (size[d] != 1 && stride[d] != expected) contiguous = false;
            expected *= size[d];
        }
        int width = SizeOf(dtype);
        if (contiguous)
        {
            ConvertRun(storage.Slice(checked((int)(offset * width)), count * width), dtype, bigEndian, result, inexact);
            return result;
        }
        // Odometer over the index space; the innermost axis is a strided run.
        var index = new long[rank];
        long inner = rank == 0 ? 1 : size[rank - 1], innerStride = rank == 0 ? 0 : stride[rank - 1];
        int outIndex = 0;
        long baseOffset = offset;
        while (outIndex < count)
        {
            long e = baseOffset;
            for (long i = 0; i < inner; i++, e += innerStride)
                result[outIndex++] = ConvertOne(storage.Slice((int)(e * width), width), dtype, bigEndian, inexact);
            int axis = rank - 2;
            for (; axis >= 0; axis--)
            {
                index[axis]++;
                baseOffset += stride[axis];
                if (index[axis] < size[axis]) break;
                baseOffset -= stride[axis] * size[axis];
                index[axis] = 0;
            }
        }
        return result;
    }

    public static void ConvertRun(ReadOnlySpan<byte> src, TorchDtype dtype, bool bigEndian, Span<float> dst, Func<long, Exception> inexact)
    {
        if (dtype == TorchDtype.Float32 && bigEndian == !BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
            return;
        }
        int width = SizeOf(dtype);
        for (int i = 0; i < dst.Length; i++)
            dst[i] = ConvertOne(src.Slice(i * width, width), dtype, bigEndian, inexact);
    }

    public static float ConvertOne(ReadOnlySpan<byte> b, TorchDtype dtype, bool bigEndian, Func<long, Exception> inexact)
    {
        switch (dtype)
        {
            case TorchDtype.Float32:
                return bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b);
            case TorchDtype.Float64:
                return (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b));
            case TorchDtype.Float16:
                return (float)(bigEndian ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b));
            case TorchDtype.BFloat16:
            {
                // bfloat16 is the top half of a float32.
                uint bits = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
                return BitConverter.UInt32BitsToSingle(bits << 16);
            }
            case TorchDtype.Int64:
                return Exact(bigEndian ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b), inexact);
            case TorchDtype.Int32:
                return Exact(bigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b), inexact);
            case TorchDtype.Int16:
                return bigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b);
            case TorchDtype.Int8:
                return (sbyte)b[0];
            case TorchDtype.UInt8:
                return b[0];
            default:
                return b[0] != 0 ? 1f : 0f;
        }
    }

    private static float Exact(long v, Func<long, Exception> inexact)
    {
        float f = v;
        // f can round up to exactly 2^63, which does not fit a long; everything below converts back exactly.
        if (f >= 9.223372036854775808e18f || (long)f != v) throw inexact(v);
        return f;
    }
}
