using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Direct;

/// <summary>
/// One request of a direct-path connection handed to Kestrel's HTTP layer: Kestrel reads exactly that request's
/// head (then the end of its input, so it stops after answering) and writes its answer into a pipe the connection
/// sends from. Everything else is the real connection's: its id, endpoints, items, lifetime and metrics features.
/// The heartbeat is relayed rather than shared, because Kestrel registers a callback per HTTP session and never
/// removes it: one per turn would pile up on a long-lived connection.
/// </summary>
internal sealed class KestrelTurn : ConnectionContext, IConnectionHeartbeatFeature, IConnectionTransportFeature
{
    private readonly ConnectionContext _connection;
    private readonly Pipe _input = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _output;
    private readonly FeatureCollection _features;
    private Action<object>? _heartbeat;
    private object? _heartbeatState;

    public KestrelTurn(ConnectionContext connection, long? maxResponseBufferSize)
    {
        _connection = connection;
        var pool = connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool ?? System.Buffers.MemoryPool<byte>.Shared;

        // Kestrel's own output pipe bounds what a response may buffer by Kestrel:Limits:MaxResponseBufferSize; so does this one.
        var pause = maxResponseBufferSize is > 0 ? maxResponseBufferSize.Value : 0;
        _output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, pause, pause / 2,
            minimumSegmentSize: Math.Max(4096, pool.MaxBufferSize > 0 ? Math.Min(pool.MaxBufferSize, 64 * 1024) : 4096), useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        _features = new FeatureCollection(connection.Features);
        _features.Set<IConnectionHeartbeatFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionMetricsTagsFeature>(new TurnTags());
        _features.Set(Prior);
    }

    /// <summary>The requests the connection answered before this turn, for the turn's trace identifier.</summary>
    public PriorRequests Prior { get; } = new();

    public PipeWriter Input => _input.Writer;

    public PipeReader Output => _output.Reader;

    /// <summary>Whether Kestrel aborted the connection during the turn.</summary>
    public bool Aborted { get; private set; }

    public override string ConnectionId
    {
        get => _connection.ConnectionId;
        set => _connection.ConnectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _connection.Items;
        set => _connection.Items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _connection.ConnectionClosed;
        set => _connection.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _connection.LocalEndPoint;
        set => _connection.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _connection.RemoteEndPoint;
        set => _connection.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Aborted = true;
        _connection.Abort(abortReason);
    }

    public void OnHeartbeat(Action<object> action, object state)
    {
        _heartbeatState = state;
        Volatile.Write(ref _heartbeat, action);
    }

    /// <summary>Called on the real connection's heartbeat while this turn runs.</summary>
    public void Tick()
    {
        if (Volatile.Read(ref _heartbeat) is { } heartbeat)
        {
            heartbeat(_heartbeatState!);
        }
    }

    /// <summary>Ends the turn's output once Kestrel is done with it, so the connection's sender finishes.</summary>
    public void Finish()
    {
        _output.Writer.Complete();
        _input.Reader.Complete();
    }

    /// <summary>
    /// Makes a finished turn ready for the connection's next one: a turn is the connection's, reused, since a new
    /// pair of pipes per forwarded request was a third of what each one allocated.
    /// </summary>
    public void Reset()
    {
        _input.Reset();
        _output.Reset();
        _heartbeat = null;
        _heartbeatState = null;
        Aborted = false;

        // Kestrel adds its session's tags again every turn: a fresh list each time, or they pile up here instead.
        _features.Set<IConnectionMetricsTagsFeature>(new TurnTags());
    }

    private sealed class TurnTags : IConnectionMetricsTagsFeature
    {
        public ICollection<KeyValuePair<string, object?>> Tags { get; } = [];
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
