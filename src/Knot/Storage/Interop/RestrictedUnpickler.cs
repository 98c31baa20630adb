using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Knot.Storage.Interop;

/// <summary>
/// A pickle reader for PyTorch state dicts that never executes code. It implements the opcodes torch.save emits
/// (protocol 2, plus the few protocol 3/4 ones a newer pickler may use), and GLOBAL resolves only names on a fixed
/// allow-list to inert markers: calling them (REDUCE) builds plain values (<see cref="PyDict"/>, <see cref="TorchTensorRef"/>, ...).
/// Any other global — os.system, builtins.eval, subprocess.Popen, a pickled nn.Module class — is refused on sight
/// with an <see cref="InvalidDataException"/> whose Data[<see cref="RefusedGlobalKey"/>] holds the name. Every length is
/// checked against the bytes that remain.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>Key in <see cref="Exception.Data"/> under which a refusal stores the global's "module.name".</summary>
    public const string RefusedGlobalKey = "KnotRefusedPickleGlobal";

    private const int MaxLongBytes = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Dictionary<string, TorchDtype> StorageTypes = new(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = TorchDtype.Float32,
        ["torch.DoubleStorage"] = TorchDtype.Float64,
        ["torch.HalfStorage"] = TorchDtype.Float16,
        ["torch.BFloat16Storage"] = TorchDtype.BFloat16,
        ["torch.LongStorage"] = TorchDtype.Int64,
        ["torch.IntStorage"] = TorchDtype.Int32,
        ["torch.ShortStorage"] = TorchDtype.Int16,
        ["torch.CharStorage"] = TorchDtype.Int8,
        ["torch.ByteStorage"] = TorchDtype.UInt8,
        ["torch.BoolStorage"] = TorchDtype.Bool,
    };

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.device",
        "_codecs.encode",
    };

    private static readonly object Mark = new();

    private readonly byte[] _data;
    private readonly string _source;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _pos;

    private RestrictedUnpickler(byte[] data, string source)
    {
        _data = data;
        _source = source;
    }

    /// <summary>Unpickles <paramref name="data"/>; <paramref name="source"/> names the file in messages.</summary>
    public static object? Load(byte[] data, string source) => new RestrictedUnpickler(data, source).Run();

    internal static bool IsAllowedGlobal(string fullName) => Functions.Contains(fullName) || StorageTypes.ContainsKey(fullName);

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Bad($"the pickle ends at byte {_data.Length} without a STOP opcode (truncated)");
            int at = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    byte proto = ReadByte();
                    if (proto > 5) throw Bad($"pickle protocol {proto} at byte {at} is not supported (max 5)");
                    break;
                case 0x95: // FRAME (protocol 4): an 8-byte length hint, the frame's opcodes follow inline
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                        throw Bad($"STOP at byte {at} with {_stack.Count} values and {_marks.Count} open marks on the stack (expected exactly one value)");
                    return _stack[0] == Mark ? throw Bad($"STOP at byte {at} found a MARK instead of a value") : _stack[0];
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    _stack.Add(Mark);
                    break;
                case (byte)'0': // POP
                    Pop(at);
                    break;
                case (byte)'1': // POP_MARK
                    PopMark(at);
                    break;
                case (byte)'2': // DUP
                    Push(Peek(at));
                    break;
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case 0x8A: // LONG1
                    Push(ReadLong(ReadByte(), at));
                    break;
                case 0x8B: // LONG4
                    Push(ReadLong(ReadLength(4, at), at));
                    break;
                case (byte)'G': // BINFLOAT (big-endian double)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadUtf8(ReadLength(4, at), at));
                    break;
                case 0x8C: // SHORT_BINUNICODE
                    Push(ReadUtf8(ReadByte(), at));
                    break;
                case 0x8D: // BINUNICODE8
                    Push(ReadUtf8(ReadLength(8, at), at));
                    break;
                case (byte)'U': // SHORT_BINSTRING (Python 2 str: bytes, decoded as latin-1 like torch does)
                    Push(Encoding.Latin1.GetString(Take(ReadByte())));
                    break;
                case (byte)'T': // BINSTRING
                    Push(Encoding.Latin1.GetString(Take(ReadLength(4, at))));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(ReadLength(4, at)).ToArray());
                    break;
                case 0x8E: // BINBYTES8
                    Push(Take(ReadLength(8, at)).ToArray());
                    break;
                case (byte)'}': // EMPTY_DICT
                    Push(new PyDict());
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new PyList());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(new PyTuple([]));
                    break;
                case (byte)'t': // TUPLE
                    Push(new PyTuple(PopMark(at).ToArray()));
                    break;
                case 0x85: // TUPLE1
                    Push(new PyTuple([Pop(at)]));
                    break;
                case 0x86: // TUPLE2
                {
                    object? b = Pop(at), a = Pop(at);
                    Push(new PyTuple([a, b]));
                    break;
                }
                case 0x87: // TUPLE3
                {
                    object? c = Pop(at), b = Pop(at), a = Pop(at);
                    Push(new PyTuple([a, b, c]));
                    break;
                }
                case (byte)'l': // LIST
                {
                    var list = new PyList();
                    list.Items.AddRange(PopMark(at));
                    Push(list);
                    break;
                }
                case (byte)'d': // DICT
                {
                    var dict = new PyDict();
                    SetItems(dict, PopMark(at), at);
                    Push(dict);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    object? value = Pop(at), key = Pop(at);
                    SetItems(PeekAs<PyDict>(at, "SETITEM"), [key, value], at);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark(at);
                    SetItems(PeekAs<PyDict>(at, "SETITEMS"), items, at);
                    break;
                }
                case (byte)'a': // APPEND
                {
                    object? value = Pop(at);
                    PeekAs<PyList>(at, "APPEND").Items.Add(value);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark(at);
                    PeekAs<PyList>(at, "APPENDS").Items.AddRange(items);
                    break;
                }
                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Peek(at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(at);
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek(at);
                    break;
                case (byte)'h': // BINGET
                    Push(MemoGet(ReadByte(), at));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at));
                    break;
                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine(at), name = ReadLine(at);
                    Push(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    object? name = Pop(at), module = Pop(at);
                    if (module is not string m || name is not string n) throw Bad($"STACK_GLOBAL at byte {at} needs two strings");
                    Push(ResolveGlobal(m, n));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    object? args = Pop(at), func = Pop(at);
                    if (args is not PyTuple tuple) throw Bad($"REDUCE at byte {at} has arguments of type {TypeName(args)}, expected a tuple");
                    Push(Call(func, tuple.Items, at));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    object? state = Pop(at);
                    object? target = Peek(at);
                    if (target is PyDict dict) dict.State = state; // OrderedDict attributes such as _metadata
                    else if (target is not TorchTensorRef) throw Bad($"BUILD at byte {at} on a {TypeName(target)} is not supported");
                    break;
                }
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop(at), at));
                    break;
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:X2} ('{(op is >= 0x20 and < 0x7F ? (char)op : '?')}') at byte {at}; Knot reads the binary opcodes torch.save writes");
            }
        }
    }

    private object ResolveGlobal(string module, string name)
    {
        string full = module + "." + name;
        if (IsAllowedGlobal(full)) return new PyGlobal(module, name);
        string hint = module.StartsWith("__main__", StringComparison.Ordinal) || module.StartsWith("torch.nn", StringComparison.Ordinal)
            || module.StartsWith("__torch__", StringComparison.Ordinal)
            ? " (the file pickles a whole Python object or TorchScript module; save model.state_dict() instead)"
            : "";
        var refused = new InvalidDataException($"refusing to load '{_source}': pickle calls {full}, which is not an allowed tensor constructor{hint}.");
        refused.Data[RefusedGlobalKey] = full;
        throw refused;
    }

    private object? Call(object? func, object?[] args, int at)
    {
        if (func is not PyGlobal g) throw Bad($"REDUCE at byte {at} calls a {TypeName(func)}, not a function");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
                if (args.Length != 0) throw Bad($"collections.OrderedDict at byte {at} is called with {args.Length} arguments; torch.save passes none");
                return new PyDict();
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
            {
                // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
                if (args.Length < 4) throw Bad($"{g.FullName} at byte {at} has {args.Length} arguments, expected at least 4");
                if (args[0] is not TorchStorageRef storage) throw Bad($"{g.FullName} at byte {at}: argument 0 is a {TypeName(args[0])}, expected a storage");
                if (args[1] is not long offset || offset < 0) throw Bad($"{g.FullName} at byte {at}: storage offset {Show(args[1])} is not a non-negative int");
                long[] size = LongTuple(args[2], "size", g, at), stride = LongTuple(args[3], "stride", g, at);
                if (size.Length != stride.Length)
                    throw Bad($"{g.FullName} at byte {at}: size has {size.Length} dims but stride has {stride.Length}");
                return new TorchTensorRef(storage, offset, size, stride);
            }
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.Length < 1 || args[0] is not TorchTensorRef data) throw Bad($"{g.FullName} at byte {at} does not wrap a tensor");
                return data;
            case "torch.device":
                if (args.Length is < 1 or > 2 || args[0] is not string kind) throw Bad($"torch.device at byte {at} needs a device string");
                return args.Length == 2 && args[1] is long index ? $"{kind}:{index}" : kind;
            case "_codecs.encode":
                // Protocol 2 pickles bytes objects as _codecs.encode(text, 'latin1').
                if (args.Length != 2 || args[0] is not string text || args[1] is not ("latin1" or "latin-1"))
                    throw Bad($"_codecs.encode at byte {at} is only allowed as encode(str, 'latin1')");
                return Encoding.Latin1.GetBytes(text);
            default:
                throw Bad($"{g.FullName} at byte {at} is a storage type, not a function to call");
        }
    }

    private TorchStorageRef PersistentLoad(object? pid, int at)
    {
        if (pid is not PyTuple { Items: var t } || t.Length != 5 || t[0] is not "storage")
            throw Bad($"persistent id at byte {at} is {Show(pid)}, expected ('storage', type, key, location, numel)");
        if (t[1] is not PyGlobal g || !StorageTypes.TryGetValue(g.FullName, out var dtype))
            throw Bad($"persistent id at byte {at} names storage type {Show(t[1])}, expected one of {string.Join(", ", StorageTypes.Keys)}");
        if (t[2] is not string key || key.Length == 0) throw Bad($"persistent id at byte {at} has storage key {Show(t[2])}, expected a string");
        if (t[3] is not string location) throw Bad($"persistent id at byte {at} has location {Show(t[3])}, expected a string");
        if (t[4] is not long numel || numel < 0) throw Bad($"persistent id at byte {at} has element count {Show(t[4])}, expected a non-negative int");
        return new TorchStorageRef(dtype, key, location, numel);
    }

    private long[] LongTuple(object? value, string what, PyGlobal g, int at)
    {
        if (value is not PyTuple tuple) throw Bad($"{g.FullName} at byte {at}: {what} is a {TypeName(value)}, expected a tuple of ints");
        var result = new long[tuple.Items.Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (tuple.Items[i] is not long v || v < 0)
                throw Bad($"{g.FullName} at byte {at}: {what}[{i}] is {Show(tuple.Items[i])}, expected a non-negative int");
            result[i] = v;
        }
        return result;
    }

    private void SetItems(PyDict dict, List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Bad($"dict items at byte {at} have an odd count {items.Count}");
        for (int i = 0; i < items.Count; i += 2)
        {
            object key = items[i] switch
            {
                string or long or bool or double => items[i]!,
                var other => throw Bad($"dict key at byte {at} is a {TypeName(other)}; only str, int, float and bool keys are supported"),
            };
            dict.Set(key, items[i + 1]);
        }
    }

    private object MemoGet(long index, int at) =>
        _memo.TryGetValue(index, out var v) ? v! : throw Bad($"memo get at byte {at} refers to slot {index}, which was never set");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek(int at)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] == _stack.Count - 1))
            throw Bad($"opcode at byte {at} needs a value but the stack is empty");
        return _stack[^1];
    }

    private T PeekAs<T>(int at, string opcode)
        where T : class =>
        Peek(at) as T ?? throw Bad($"{opcode} at byte {at} applies to a {TypeName(_stack[^1])}, expected a {typeof(T).Name}");

    private object? Pop(int at)
    {
        object? v = Peek(at);
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private List<object?> PopMark(int at)
    {
        if (_marks.Count == 0) throw Bad($"opcode at byte {at} needs a MARK but none is open");
        int start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(start + 1, _stack.Count - start - 1);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Bad($"the pickle ends at byte {_data.Length} in the middle of an opcode (truncated)");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(long n)
    {
        if (n > _data.Length - _pos)
            throw Bad($"an opcode needs {n} bytes at byte {_pos} but the pickle has only {_data.Length - _pos} left (truncated or corrupt)");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private long ReadLength(int width, int at)
    {
        var b = Take(width);
        ulong n = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);
        if (n > (ulong)(_data.Length - _pos))
            throw Bad($"opcode at byte {at} declares {n} bytes but the pickle has only {_data.Length - _pos} left");
        return (long)n;
    }

    private object ReadLong(long n, int at)
    {
        if (n > MaxLongBytes) throw Bad($"integer at byte {at} is {n} bytes long; the limit is {MaxLongBytes}");
        var bytes = Take(n);
        if (n <= 8)
        {
            long v = 0;
            for (int i = (int)n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            if (n is > 0 and < 8 && (bytes[(int)n - 1] & 0x80) != 0) v -= 1L << (8 * (int)n); // sign-extend
            return v;
        }
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }

    private string ReadUtf8(long n, int at)
    {
        var bytes = Take(n);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Bad($"string at byte {at} is not valid UTF-8");
        }
    }

    private string ReadLine(int at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(_data.Length - _pos, 256));
        if (end < 0) throw Bad($"GLOBAL at byte {at} has no newline-terminated name within 256 bytes");
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        if (s.Any(ch => ch < 0x20 || ch > 0x7E)) throw Bad($"GLOBAL at byte {at} names a non-ASCII module or attribute");
        return s;
    }

    internal static string TypeName(object? v) => v switch
    {
        null => "None",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        bool => "bool",
        byte[] => "bytes",
        PyTuple => "tuple",
        PyList => "list",
        PyDict => "dict",
        PyGlobal g => g.FullName,
        TorchStorageRef => "storage",
        TorchTensorRef => "tensor",
        _ => v.GetType().Name,
    };

    private static string Show(object? v) => v switch
    {
        null => "None",
        string s => $"'{s}'",
        long or bool or double => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!,
        _ => "a " + TypeName(v),
    };

    private InvalidDataException Bad(string message) => new($"{_source}: data.pkl: {message}.");
}
