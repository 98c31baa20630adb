namespace Knot.Autograd;

/// <summary>Thread-local switch for recording ops. <c>using (GradMode.NoGrad()) { ... }</c> disables recording.</summary>
public static class GradMode
{
    [ThreadStatic] private static bool t_disabled;

    public static bool IsEnabled => !t_disabled;

    public static Scope NoGrad()
    {
        var previous = t_disabled;
        t_disabled = true;
        return new Scope(previous);
    }

    public static Scope Enable()
    {
        var previous = t_disabled;
        t_disabled = false;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly bool _previous;
        internal Scope(bool previous) => _previous = previous;
        public void Dispose() => t_disabled = _previous;
    }
}
