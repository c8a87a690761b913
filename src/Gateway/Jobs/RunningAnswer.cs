using System.Buffers.Binary;
using System.Text;

namespace Gateway.Jobs;

/// <summary>
/// A running job's 200 answer as the upstream sent it (content type and exact bytes), and when the upstream sent it:
/// the shared window is counted from that moment, wherever the answer travels.
/// </summary>
/// <remarks>
/// Redis form: [1 'R'][8 answered-at, Unix ms][2 content-type length][content type][body], integers big endian.
/// A job known to be terminal is stored as the single byte 'T' instead, so a refresh that was under way when the job
/// finished cannot put a running answer back.
/// </remarks>
internal sealed record RunningAnswer(string? ContentType, ReadOnlyMemory<byte> Body, DateTimeOffset AnsweredAt)
{
    public const byte AnswerMark = (byte)'R';
    public const byte TerminalMark = (byte)'T';
    private const int FixedBytes = 1 + 8 + 2;

    public static readonly byte[] Terminal = [TerminalMark];

    public byte[] Serialize()
    {
        var contentType = Encoding.UTF8.GetBytes(ContentType ?? string.Empty);
        var bytes = new byte[FixedBytes + contentType.Length + Body.Length];
        var span = bytes.AsSpan();
        span[0] = AnswerMark;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], AnsweredAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16BigEndian(span[9..], checked((ushort)contentType.Length));
        contentType.CopyTo(span[FixedBytes..]);
        Body.Span.CopyTo(span[(FixedBytes + contentType.Length)..]);
        return bytes;
    }

    /// <summary>The answer, or null for a terminal mark or anything this version cannot read.</summary>
    public static RunningAnswer? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < FixedBytes || span[0] != AnswerMark)
        {
            return null;
        }

        var answeredAt = BinaryPrimitives.ReadInt64BigEndian(span[1..]);
        var contentTypeLength = BinaryPrimitives.ReadUInt16BigEndian(span[9..]);
        if (span.Length < FixedBytes + contentTypeLength)
        {
            return null;
        }

        var contentType = contentTypeLength == 0 ? null : Encoding.UTF8.GetString(span.Slice(FixedBytes, contentTypeLength));
        return new RunningAnswer(contentType, bytes[(FixedBytes + contentTypeLength)..], DateTimeOffset.FromUnixTimeMilliseconds(answeredAt));
    }
}
