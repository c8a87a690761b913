using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Caching;

/// <summary>
/// A stored terminal response: the upstream's exact bytes, its content type, a strong ETag computed once at store
/// time, the instant it stops being fresh, and, when it pays, a gzip copy with its own ETag (a different
/// representation needs a different strong validator). The gateway checks freshness itself rather than trusting the
/// store's expiry, so every tier agrees on one clock.
/// </summary>
/// <remarks>
/// Wire form (version 3): [1 version][8 expires, unix ms, big endian][1 etag length][etag][2 content-type length]
/// [content type][1 owner length][owner team, empty for unowned][1 encoding: 0 identity, 1 gzip][payload]. The owner
/// travels with the entry so that a hit, on any tier and either path, is judged without a ledger look-up. Redis holds the gzip copy when there is one, so large
/// results cost a fraction of the memory and network; a process that reads it decompresses once and keeps both forms
/// in its memory tier, so hits of either encoding are sent as stored, without work per request.
/// </remarks>
internal sealed class CachedResponse(
    string contentType, string etag, ReadOnlyMemory<byte> body, DateTimeOffset expiresAt, ReadOnlyMemory<byte> gzip = default, string? owner = null)
{
    private const byte Version = 3;
    private const byte Identity = 0;
    private const byte Gzip = 1;

    // Below this a gzip copy saves too little to be worth a second representation.
    private const int MinimumCompressibleBytes = 1024;

    public string ContentType { get; } = contentType;

    public string ETag { get; } = etag;

    public ReadOnlyMemory<byte> Body { get; } = body;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>The team that created the job, or null when the ledger did not know it when the job was stored.</summary>
    public string? Owner { get; } = owner;

    /// <summary>The gzip copy, or empty when compression did not pay.</summary>
    public ReadOnlyMemory<byte> GzipBody { get; } = gzip;

    public string? GzipETag { get; } = gzip.IsEmpty ? null : etag[..^1] + "-gzip\"";

    public bool IsFreshAt(DateTimeOffset now) => now < ExpiresAt;

    /// <summary>Builds an entry from upstream bytes: the ETag and the gzip copy are computed here, once per job.</summary>
    public static CachedResponse Create(string contentType, string etag, byte[] body, DateTimeOffset expiresAt, string? owner) =>
        new(contentType, etag, body, expiresAt, Compress(body), owner);

    public static string ComputeETag(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        return "\"" + Convert.ToBase64String(hash[..18]).Replace('+', '-').Replace('/', '_') + "\"";
    }

    public byte[] Serialize()
    {
        var etag = Encoding.ASCII.GetBytes(ETag);
        var contentType = Encoding.UTF8.GetBytes(ContentType);
        var owner = Encoding.UTF8.GetBytes(Owner ?? string.Empty);
        var payload = GzipBody.IsEmpty ? Body : GzipBody;
        var buffer = new byte[1 + 8 + 1 + etag.Length + 2 + contentType.Length + 1 + owner.Length + 1 + payload.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], ExpiresAt.ToUnixTimeMilliseconds());
        span[9] = (byte)etag.Length;
        etag.CopyTo(span[10..]);
        var at = 10 + etag.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)contentType.Length);
        contentType.CopyTo(span[(at + 2)..]);
        at += 2 + contentType.Length;
        span[at] = checked((byte)owner.Length);
        owner.CopyTo(span[(at + 1)..]);
        at += 1 + owner.Length;
        span[at] = GzipBody.IsEmpty ? Identity : Gzip;
        payload.Span.CopyTo(span[(at + 1)..]);
        return buffer;
    }

    /// <summary>Null for anything that is not a well-formed entry of this version (an old format, a foreign key).</summary>
    public static CachedResponse? Deserialize(byte[] stored)
    {
        if (stored.Length < 13 || stored[0] != Version)
        {
            return null;
        }

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(1)));
        int etagLength = stored[9];
        var at = 10 + etagLength;
        if (stored.Length < at + 2)
        {
            return null;
        }

        int contentTypeLength = BinaryPrimitives.ReadUInt16BigEndian(stored.AsSpan(at));
        var ownerAt = at + 2 + contentTypeLength;
        if (stored.Length <= ownerAt)
        {
            return null;
        }

        int ownerLength = stored[ownerAt];
        var encodingAt = ownerAt + 1 + ownerLength;
        if (stored.Length <= encodingAt)
        {
            return null;
        }

        var contentType = Encoding.UTF8.GetString(stored, at + 2, contentTypeLength);
        var owner = ownerLength == 0 ? null : Encoding.UTF8.GetString(stored, ownerAt + 1, ownerLength);
        var etag = Encoding.ASCII.GetString(stored, 10, etagLength);
        var payload = stored.AsMemory(encodingAt + 1);
        return stored[encodingAt] switch
        {
            Identity => new CachedResponse(contentType, etag, payload, expires, owner: owner),
            Gzip => new CachedResponse(contentType, etag, Decompress(stored, encodingAt + 1), expires, payload, owner),
            _ => null,
        };
    }

    private static ReadOnlyMemory<byte> Compress(byte[] body)
    {
        if (body.Length < MinimumCompressibleBytes)
        {
            return default;
        }

        using var output = new MemoryStream(body.Length / 4);
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output.Length <= body.Length * 9L / 10 ? output.ToArray() : default;
    }

    private static byte[] Decompress(byte[] stored, int offset)
    {
        using var input = new MemoryStream(stored, offset, stored.Length - offset, writable: false);
        using var decompressor = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream((stored.Length - offset) * 4);
        decompressor.CopyTo(output);
        return output.ToArray();
    }
}
