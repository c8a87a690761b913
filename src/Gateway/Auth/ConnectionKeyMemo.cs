using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Auth;

/// <summary>
/// The last <c>Authorization</c> header an HTTP/1.1 connection presented, and what it opened. Kestrel hands a
/// connection's repeated header values back as the very string it built for the previous request, so a keep-alive
/// client's key is hashed once per connection rather than once per request (SHA-256 through OpenSSL was about 4% of
/// a cache hit's CPU). A header is recognised by reference to a string whose bytes were already checked: no
/// comparison here depends on the secret. What is remembered belongs to one key table: once the keys are reloaded
/// (a key revoked), the header is looked up again. Expiry is judged by the caller on every request. HTTP/2 streams
/// share their connection's items concurrently, so only HTTP/1.1, where a connection's requests come one after
/// another, is remembered.
/// </summary>
internal sealed class ConnectionKeyMemo
{
    private static readonly object ItemKey = new();

    private readonly string _header;
    private readonly long _generation;
    private readonly KeyMatch _match;

    private ConnectionKeyMemo(string header, long generation, KeyMatch match)
    {
        _header = header;
        _generation = generation;
        _match = match;
    }

    public static KeyMatch FindBearer(HttpContext context, GatewayKeys keys)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return KeyMatch.Missing;
        }

        var items = HttpProtocol.IsHttp11(context.Request.Protocol) ? context.Features.Get<IConnectionItemsFeature>()?.Items : null;
        if (items is null)
        {
            return keys.FindBearer(header);
        }

        var generation = keys.Table.Generation;
        if (items.TryGetValue(ItemKey, out var remembered) && remembered is ConnectionKeyMemo memo &&
            ReferenceEquals(memo._header, header) && memo._generation == generation)
        {
            return memo._match;
        }

        var match = keys.FindBearer(header);
        items[ItemKey] = new ConnectionKeyMemo(header, generation, match);
        return match;
    }
}
