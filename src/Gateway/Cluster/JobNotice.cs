using System.Buffers.Binary;
using System.Text;
using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Ownership;
using Gateway.Upstream;

namespace Gateway.Cluster;

internal enum JobNoticeKind : byte
{
    /// <summary>An upstream answer that is not in the shared cache (still running, an error, or not storable); it travels with the notice.</summary>
    Response = 1,

    /// <summary>A terminal answer now in the shared cache: read it there rather than ship megabytes to every replica.</summary>
    Stored = 2,

    /// <summary>The upstream could not be asked or did not answer.</summary>
    Failed = 3,

    /// <summary>The job was deleted, cancelled or purged: every replica drops it from its memory tier.</summary>
    Evicted = 4,

    /// <summary>
    /// The job is terminal and the sender is about to say so: every replica marks it terminal, so it gives no running
    /// answer on a lease (<c>Jobs:RunningAnswerLease</c>), and then answers with <see cref="Released"/>.
    /// </summary>
    Revoked = 5,

    /// <summary>A replica has given up its lease on the job's running answer; the body is the revoking replica's origin.</summary>
    Released = 6,
}

/// <summary>
/// What one replica learnt about a job, for every process that waits on it (coalesced readers on other replicas,
/// long-poll watchers) and for memory tiers that must forget it.
/// </summary>
/// <remarks>
/// Wire form (version 3): [1 version][1 kind][16 origin][1 failure][4 status][4 retry-after ms, -1 none]
/// [8 answered-at, Unix ms, -1 none][2 job id length][job id][2 content-type length][content type][1 owner known]
/// [owner, as <see cref="Jobs.RunningAnswer"/> writes it, when known][body]; integers big endian. Versions 1 (without
/// answered-at) and 2 (without the owner) are still read: a replica not yet upgraded then costs other replicas their
/// own fetch of a running job, or its direct answer, never a wrong answer.
/// </remarks>
internal sealed record JobNotice(
    JobNoticeKind Kind,
    string JobId,
    UpstreamFailure Failure = UpstreamFailure.None,
    int StatusCode = 0,
    string? ContentType = null,
    ReadOnlyMemory<byte> Body = default,
    TimeSpan? RetryAfterHint = null,
    DateTimeOffset? AnsweredAt = null,
    OwnedBy? Owner = null)
{
    private const byte Version = 3;
    private const byte VersionWithoutOwner = 2;
    private const byte VersionWithoutAnsweredAt = 1;
    private const int FixedBytes = 1 + 1 + 16 + 1 + 4 + 4 + 2 + 2;
    private const int AnsweredAtBytes = 8;

    public static JobNotice Evicted(string jobId) => new(JobNoticeKind.Evicted, jobId);

    public static JobNotice Revoke(string jobId) => new(JobNoticeKind.Revoked, jobId);

    public static JobNotice Release(string jobId, Guid revoker) => new(JobNoticeKind.Released, jobId, Body: revoker.ToByteArray());

    /// <summary>For a <see cref="JobNoticeKind.Released"/> notice, the replica that revoked the lease; null otherwise.</summary>
    public Guid? Revoker => Kind == JobNoticeKind.Released && Body.Length == 16 ? new Guid(Body.Span) : null;

    /// <summary>The running answer a Response notice carries, shareable within its window; null for anything else.</summary>
    public RunningAnswer? RunningAnswer() =>
        Kind == JobNoticeKind.Response && AnsweredAt is { } at && StatusCode == StatusCodes.Status200OK && !IsTerminalAnswer
            ? new RunningAnswer(ContentType, Body, at, Owner)
            : null;

    /// <summary>Whether this is a Response notice with a terminal 200 (one that was not stored, or it would be Stored).</summary>
    public bool IsTerminalAnswer => Kind == JobNoticeKind.Response && StatusCode == StatusCodes.Status200OK && JobStatus.IsTerminal(JobStatus.Read(Body.Span));

    public byte[] Serialize(Guid origin)
    {
        var id = Encoding.UTF8.GetBytes(JobId);
        var contentType = Encoding.UTF8.GetBytes(ContentType ?? string.Empty);
        var owner = Owner?.Team is { } team ? Encoding.UTF8.GetBytes(team) : [];
        var ownerBytes = 1 + (Owner is null ? 0 : 2 + owner.Length);
        var bytes = new byte[FixedBytes + AnsweredAtBytes + id.Length + contentType.Length + ownerBytes + Body.Length];
        var span = bytes.AsSpan();
        span[0] = Version;
        span[1] = (byte)Kind;
        origin.TryWriteBytes(span.Slice(2, 16));
        span[18] = (byte)Failure;
        BinaryPrimitives.WriteInt32BigEndian(span[19..], StatusCode);
        BinaryPrimitives.WriteInt32BigEndian(span[23..], RetryAfterHint is { } hint ? (int)Math.Min(hint.TotalMilliseconds, int.MaxValue) : -1);
        BinaryPrimitives.WriteInt64BigEndian(span[27..], AnsweredAt is { } answered ? answered.ToUnixTimeMilliseconds() : -1);
        var at = 27 + AnsweredAtBytes;
        at = WriteField(span, at, id);
        at = WriteField(span, at, contentType);
        span[at] = Owner is null ? (byte)0 : (byte)1;
        if (Owner is { } known)
        {
            Jobs.RunningAnswer.WriteOwner(span[(at + 1)..], known.Team, owner);
        }

        Body.Span.CopyTo(span[(at + ownerBytes)..]);
        return bytes;
    }

    /// <summary>The notice and the process that sent it, or null for anything this version cannot read.</summary>
    public static (JobNotice Notice, Guid Origin)? Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < FixedBytes || span[0] is not (Version or VersionWithoutOwner or VersionWithoutAnsweredAt) ||
            !Enum.IsDefined((JobNoticeKind)span[1]) || !Enum.IsDefined((UpstreamFailure)span[18]))
        {
            return null;
        }

        var origin = new Guid(span.Slice(2, 16));
        var retryAfter = BinaryPrimitives.ReadInt32BigEndian(span[23..]);
        var at = 27;
        long answeredAt = -1;
        if (span[0] != VersionWithoutAnsweredAt)
        {
            if (span.Length < FixedBytes + AnsweredAtBytes)
            {
                return null;
            }

            answeredAt = BinaryPrimitives.ReadInt64BigEndian(span[27..]);
            at += AnsweredAtBytes;
        }

        if (!TryReadField(span, ref at, out var id) || !TryReadField(span, ref at, out var contentType))
        {
            return null;
        }

        OwnedBy? owner = null;
        if (span[0] == Version)
        {
            if (span.Length < at + 1 || span[at] > 1)
            {
                return null;
            }

            var known = span[at++] == 1;
            if (known)
            {
                if (!Jobs.RunningAnswer.TryReadOwner(span, ref at, out var found))
                {
                    return null;
                }

                owner = found;
            }
        }

        var notice = new JobNotice(
            (JobNoticeKind)span[1],
            Encoding.UTF8.GetString(id),
            (UpstreamFailure)span[18],
            BinaryPrimitives.ReadInt32BigEndian(span[19..]),
            contentType.IsEmpty ? null : Encoding.UTF8.GetString(contentType),
            bytes[at..],
            retryAfter < 0 ? null : TimeSpan.FromMilliseconds(retryAfter),
            answeredAt < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(answeredAt),
            owner);
        return (notice, origin);
    }

    private static int WriteField(Span<byte> span, int at, byte[] field)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], checked((ushort)field.Length));
        field.CopyTo(span[(at + 2)..]);
        return at + 2 + field.Length;
    }

    private static bool TryReadField(ReadOnlySpan<byte> span, ref int at, out ReadOnlySpan<byte> field)
    {
        field = default;
        if (span.Length < at + 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
        if (span.Length < at + 2 + length)
        {
            return false;
        }

        field = span.Slice(at + 2, length);
        at += 2 + length;
        return true;
    }
}
