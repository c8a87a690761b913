using System.Buffers.Binary;
using System.Text;
using Gateway.Ownership;

namespace Gateway.Jobs;

/// <summary>
/// A running job's 200 answer as the upstream sent it (content type and exact bytes), and when the upstream sent it:
/// the shared window is counted from that moment, wherever the answer travels. It carries its job's owner, as a
/// terminal entry does, so the direct path can judge a read of it without a look-up.
/// </summary>
/// <remarks>
/// Redis form: [1 'O'][8 answered-at, Unix ms][2 content-type length][content type][2 owner length, 0xFFFF for
/// unowned][owner][body], integers big endian. The older form, 'R' and no owner field, is still read (owner
/// unknown); an older version reads the new one as no answer, which costs it a fetch, never a wrong body. A job
/// known to be terminal is stored as the single byte 'T' instead, so a refresh that was under way when the job
/// finished cannot put a running answer back.
/// </remarks>
internal sealed record RunningAnswer(string? ContentType, ReadOnlyMemory<byte> Body, DateTimeOffset AnsweredAt, OwnedBy? Owner = null)
{
    public const byte AnswerMark = (byte)'O';
    public const byte AnswerWithoutOwnerMark = (byte)'R';
    public const byte TerminalMark = (byte)'T';
    private const int FixedBytes = 1 + 8 + 2;
    private const ushort Unowned = ushort.MaxValue;

    public static readonly byte[] Terminal = [TerminalMark];

    /// <summary>Whether a stored value's first byte is a running answer's, of either form.</summary>
    public static bool IsAnswer(byte first) => first is AnswerMark or AnswerWithoutOwnerMark;

    public byte[] Serialize()
    {
        var contentType = Encoding.UTF8.GetBytes(ContentType ?? string.Empty);
        var owner = Owner?.Team is { } team ? Encoding.UTF8.GetBytes(team) : [];
        var withOwner = Owner is not null;
        var ownerBytes = withOwner ? 2 + owner.Length : 0;
        var bytes = new byte[FixedBytes + contentType.Length + ownerBytes + Body.Length];
        var span = bytes.AsSpan();
        span[0] = withOwner ? AnswerMark : AnswerWithoutOwnerMark;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], AnsweredAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16BigEndian(span[9..], checked((ushort)contentType.Length));
        contentType.CopyTo(span[FixedBytes..]);
        var at = FixedBytes + contentType.Length;
        if (withOwner)
        {
            WriteOwner(span[at..], Owner!.Value.Team, owner);
            at += ownerBytes;
        }

        Body.Span.CopyTo(span[at..]);
        return bytes;
    }

    /// <summary>The answer, or null for a terminal mark or anything this version cannot read.</summary>
    public static RunningAnswer? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < FixedBytes || !IsAnswer(span[0]))
        {
            return null;
        }

        var answeredAt = BinaryPrimitives.ReadInt64BigEndian(span[1..]);
        var contentTypeLength = BinaryPrimitives.ReadUInt16BigEndian(span[9..]);
        var at = FixedBytes + contentTypeLength;
        if (span.Length < at)
        {
            return null;
        }

        var contentType = contentTypeLength == 0 ? null : Encoding.UTF8.GetString(span.Slice(FixedBytes, contentTypeLength));
        OwnedBy? owner = null;
        if (span[0] == AnswerMark)
        {
            if (!TryReadOwner(span, ref at, out var found))
            {
                return null;
            }

            owner = found;
        }

        return new RunningAnswer(contentType, bytes[at..], DateTimeOffset.FromUnixTimeMilliseconds(answeredAt), owner);
    }

    /// <summary>Writes an owner field as <see cref="Serialize"/> does: a 2-byte length (0xFFFF: unowned), then the team.</summary>
    public static void WriteOwner(Span<byte> span, string? team, byte[] encoded)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, team is null ? Unowned : checked((ushort)encoded.Length));
        encoded.CopyTo(span[2..]);
    }

    /// <summary>Reads an owner field written by <see cref="WriteOwner"/>, moving <paramref name="at"/> past it.</summary>
    public static bool TryReadOwner(ReadOnlySpan<byte> span, ref int at, out OwnedBy owner)
    {
        owner = default;
        if (span.Length < at + 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
        if (length == Unowned)
        {
            at += 2;
            return true;
        }

        if (span.Length < at + 2 + length)
        {
            return false;
        }

        owner = new OwnedBy(Encoding.UTF8.GetString(span.Slice(at + 2, length)));
        at += 2 + length;
        return true;
    }
}
