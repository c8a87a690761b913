using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Caching;

/// <summary>
/// A stored terminal response: the upstream's exact bytes, its content type, a strong ETag computed once at store
/// time, and the instant it stops being fresh. The gateway checks freshness itself rather than trusting the store's
/// expiry, so every tier agrees on one clock.
/// </summary>
/// <remarks>
/// Wire form (version 1): [1 version][8 expires, unix ms, big endian][1 etag length][etag][2 content-type length]
/// [content type][body]. Reading it slices the body out of the stored array without copying it.
/// </remarks>
internal sealed class CachedResponse(string contentType, string etag, ReadOnlyMemory<byte> body, DateTimeOffset expiresAt)
{
    private const byte Version = 1;

    public string ContentType { get; } = contentType;

    public string ETag { get; } = etag;

    public ReadOnlyMemory<byte> Body { get; } = body;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public bool IsFreshAt(DateTimeOffset now) => now < ExpiresAt;

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
        var buffer = new byte[1 + 8 + 1 + etag.Length + 2 + contentType.Length + Body.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], ExpiresAt.ToUnixTimeMilliseconds());
        span[9] = (byte)etag.Length;
        etag.CopyTo(span[10..]);
        var at = 10 + etag.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)contentType.Length);
        contentType.CopyTo(span[(at + 2)..]);
        Body.Span.CopyTo(span[(at + 2 + contentType.Length)..]);
        return buffer;
    }

    /// <summary>Null for anything that is not a well-formed entry of this version (an old format, a foreign key).</summary>
    public static CachedResponse? Deserialize(byte[] stored)
    {
        if (stored.Length < 12 || stored[0] != Version)
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
        var bodyStart = at + 2 + contentTypeLength;
        if (stored.Length < bodyStart)
        {
            return null;
        }

        return new CachedResponse(
            Encoding.UTF8.GetString(stored, at + 2, contentTypeLength),
            Encoding.ASCII.GetString(stored, 10, etagLength),
            stored.AsMemory(bodyStart),
            expires);
    }
}
