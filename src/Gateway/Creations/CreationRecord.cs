using System.Buffers.Binary;
using System.Text;

namespace Gateway.Creations;

/// <summary>
/// A creation as the store knows it: in flight (<see cref="Answer"/> null) or answered, with the fingerprint of what
/// was asked (route and body) so that a different request under the same <c>Idempotency-Key</c> is told apart, and the
/// claim that wrote it, so that only its own attempt removes an in-flight mark.
/// </summary>
internal sealed record CreationRecord(Guid Claim, byte[] Fingerprint, DateTimeOffset ExpiresAt, StoredAnswer? Answer)
{
    private const byte Version = 1;

    public bool Matches(byte[] fingerprint) => Fingerprint.AsSpan().SequenceEqual(fingerprint);

    /// <summary>version, claim (16), fingerprint (32), expiry (unix ms), then for an answer: status, content type, body.</summary>
    public byte[] Serialize()
    {
        var contentType = Encoding.UTF8.GetBytes(Answer?.ContentType ?? string.Empty);
        var body = Answer?.Body ?? [];
        var bytes = new byte[1 + 16 + 32 + 8 + 1 + 4 + 4 + contentType.Length + body.Length];
        var span = bytes.AsSpan();
        span[0] = Version;
        Claim.TryWriteBytes(span[1..17]);
        Fingerprint.CopyTo(span[17..49]);
        BinaryPrimitives.WriteInt64LittleEndian(span[49..57], ExpiresAt.ToUnixTimeMilliseconds());
        span[57] = Answer is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteInt32LittleEndian(span[58..62], Answer?.Status ?? 0);
        BinaryPrimitives.WriteInt32LittleEndian(span[62..66], contentType.Length);
        contentType.CopyTo(span[66..]);
        body.CopyTo(span[(66 + contentType.Length)..]);
        return bytes;
    }

    /// <returns>Null for nothing, or for bytes of another version or shape (treated as absent).</returns>
    public static CreationRecord? Deserialize(byte[]? bytes)
    {
        if (bytes is not { Length: >= 66 } || bytes[0] != Version)
        {
            return null;
        }

        var span = bytes.AsSpan();
        var claim = new Guid(span[1..17]);
        var fingerprint = span[17..49].ToArray();
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[49..57]));
        if (span[57] == 0)
        {
            return new CreationRecord(claim, fingerprint, expiresAt, null);
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(span[62..66]);
        if (length < 0 || 66 + length > bytes.Length)
        {
            return null;
        }

        var contentType = length == 0 ? null : Encoding.UTF8.GetString(span.Slice(66, length));
        var answer = new StoredAnswer(BinaryPrimitives.ReadInt32LittleEndian(span[58..62]), contentType, span[(66 + length)..].ToArray());
        return new CreationRecord(claim, fingerprint, expiresAt, answer);
    }
}

/// <summary>What a replay sends: the first attempt's status, content type and body bytes.</summary>
internal sealed record StoredAnswer(int Status, string? ContentType, byte[] Body);
