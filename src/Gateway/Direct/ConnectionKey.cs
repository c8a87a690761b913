using System.Text;
using Gateway.Auth;

namespace Gateway.Direct;

/// <summary>
/// The last <c>Authorization</c> value a connection presented on the direct path and what it opened, as
/// <see cref="ConnectionKeyMemo"/> keeps it for the pipeline: a keep-alive client's key is hashed once per connection,
/// and looked up again once the key table is rebuilt (a key revoked or added). The comparison is with the same
/// connection's previous value, which tells a client nothing about any key but its own. Expiry is judged per request
/// by the caller.
/// </summary>
internal sealed class ConnectionKey
{
    private byte[] _header = [];
    private long _generation = -1;
    private KeyMatch _match;

    public KeyMatch Find(ReadOnlySpan<byte> header, GatewayKeys keys)
    {
        var generation = keys.Table.Generation;
        if (generation == _generation && header.SequenceEqual(_header))
        {
            return _match;
        }

        var match = keys.FindBearer(Encoding.ASCII.GetString(header));
        _header = header.ToArray();
        _generation = generation;
        _match = match;
        return match;
    }
}
