namespace LongPoll;

/// <summary>What every caller of a scenario saw, counted from many tasks at once.</summary>
internal sealed class Tally
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, int> _non2xx = [];
    private int _requests;
    private int _pending;
    private int _terminal;
    private int _socketErrors;
    private int _timeouts;
    private int _noPreferenceApplied;
    private DateTimeOffset? _firstTerminal;
    private DateTimeOffset? _lastTerminal;

    public int Requests => Volatile.Read(ref _requests);

    public int Pending => Volatile.Read(ref _pending);

    public int Terminal => Volatile.Read(ref _terminal);

    public int SocketErrors => Volatile.Read(ref _socketErrors);

    public int Timeouts => Volatile.Read(ref _timeouts);

    public int NoPreferenceApplied => Volatile.Read(ref _noPreferenceApplied);

    public DateTimeOffset? FirstTerminal { get { lock (_gate) { return _firstTerminal; } } }

    public DateTimeOffset? LastTerminal { get { lock (_gate) { return _lastTerminal; } } }

    public Dictionary<int, int> Non2xx { get { lock (_gate) { return new(_non2xx); } } }

    public void Request() => Interlocked.Increment(ref _requests);

    public void PendingAnswer() => Interlocked.Increment(ref _pending);

    public void SocketError() => Interlocked.Increment(ref _socketErrors);

    public void Timeout() => Interlocked.Increment(ref _timeouts);

    public void PreferenceNotApplied() => Interlocked.Increment(ref _noPreferenceApplied);

    public void Status(int code)
    {
        lock (_gate)
        {
            _non2xx[code] = _non2xx.GetValueOrDefault(code) + 1;
        }
    }

    public void TerminalAnswer(DateTimeOffset at)
    {
        Interlocked.Increment(ref _terminal);
        lock (_gate)
        {
            _firstTerminal = _firstTerminal is { } first && first <= at ? first : at;
            _lastTerminal = _lastTerminal is { } last && last >= at ? last : at;
        }
    }
}
