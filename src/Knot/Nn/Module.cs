using Knot.Tensors;

namespace Knot.Nn;

/// <summary>
/// Base of every layer and model. Parameters, buffers (non-trainable state such as BatchNorm running
/// statistics) and child modules are registered by name so that full dotted names ("fc1.weight") match
/// PyTorch's, for checkpoints, interop and compression hooks.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Parameter Parameter)> _parameters = [];
    private readonly List<(string Name, Tensor Buffer)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    public bool IsTraining { get; private set; } = true;

    public abstract Tensor Forward(Tensor input);

    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    public void Eval() => Train(false);

    protected Parameter AddParameter(string name, Tensor value)
    {
        CheckName(name);
        var p = new Parameter(value);
        _parameters.Add((name, p));
        return p;
    }

    protected Tensor AddBuffer(string name, Tensor value)
    {
        CheckName(name);
        _buffers.Add((name, value));
        return value;
    }

    protected T AddModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
            throw new ArgumentException($"Invalid member name '{name}': must be non-empty and contain no '.'.", nameof(name));
        if (_parameters.Exists(p => p.Name == name) || _buffers.Exists(b => b.Name == name) || _children.Exists(c => c.Name == name))
            throw new ArgumentException($"A member named '{name}' is already registered on {GetType().Name}.", nameof(name));
    }

    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    /// <summary>All parameters with full dotted names, depth first in registration order.</summary>
    public List<(string Name, Parameter Parameter)> NamedParameters()
    {
        var result = new List<(string, Parameter)>();
        CollectParameters("", result);
        return result;
    }

    public List<Parameter> Parameters() => NamedParameters().ConvertAll(p => p.Parameter);

    private void CollectParameters(string prefix, List<(string, Parameter)> into)
    {
        foreach (var (name, p) in _parameters) into.Add((prefix + name, p));
        foreach (var (name, child) in _children) child.CollectParameters(prefix + name + ".", into);
    }

    /// <summary>All buffers with full dotted names.</summary>
    public List<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var result = new List<(string, Tensor)>();
        CollectBuffers("", result);
        return result;
    }

    private void CollectBuffers(string prefix, List<(string, Tensor)> into)
    {
        foreach (var (name, b) in _buffers) into.Add((prefix + name, b));
        foreach (var (name, child) in _children) child.CollectBuffers(prefix + name + ".", into);
    }

    /// <summary>All modules (this one first, named "") with full dotted names.</summary>
    public List<(string Name, Module Module)> NamedModules()
    {
        var result = new List<(string, Module)>();
        CollectModules("", result);
        return result;
    }

    private void CollectModules(string name, List<(string, Module)> into)
    {
        into.Add((name, this));
        foreach (var (childName, child) in _children)
            child.CollectModules(name.Length == 0 ? childName : name + "." + childName, into);
    }

    public long ParameterCount()
    {
        long n = 0;
        foreach (var (_, p) in NamedParameters()) n += p.Value.Length;
        return n;
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in NamedParameters()) p.ZeroGrad();
    }
}
