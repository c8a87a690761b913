using System.Buffers;
using System.Diagnostics;
using System.Text;
using Gateway.Auth;
using Gateway.Caching;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Ownership;
using Gateway.Redis;
using Gateway.Teams;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Gateway.Direct;

/// <summary>A hit the direct path answers: its response head (in the connection's scratch buffer) and stored body.</summary>
/// <remarks><see cref="RunningJob"/> names a running job whose answer is sent only once <see cref="DirectHits.ConfirmAsync"/> allows it;
/// <see cref="StaleAnsweredAt"/> is set for a running answer whose window lapsed: once sent, it is counted and its job
/// queued for a refresh, as the pipeline does.</remarks>
internal readonly record struct DirectAnswer(
    int HeadLength, ReadOnlyMemory<byte> Body, string Team, long Started, string? RunningJob, KeyMatch Match, DateTimeOffset? StaleAnsweredAt = null);

/// <summary>
/// Decides whether a request head is a cache hit the direct path may answer, with exactly the answer and the
/// accounting the request pipeline would give it: the memory tier's copy, if <see cref="JobAccess"/> lets the team
/// read it, with the headers <see cref="JobResponseResult"/> writes, admitted by the same <see cref="FrontDoor"/> step
/// the pipeline takes (key with reloads, revocation and expiry; the jobs:read scope; the team's ceiling). Anything
/// else (a refusal, a miss, a conditional read) is left to the pipeline, which answers it as it always has.
/// </summary>
internal sealed class DirectHits(
    GatewayKeys keys,
    FrontDoor frontDoor,
    TeamQuotas quotas,
    JobAccess access,
    ResponseCache cache,
    RunningAnswers running,
    RunningConfirmations confirmations,
    JobMisses misses,
    RedisKeys redisKeys,
    RequestAccounting accounting,
    TimeProvider time,
    IOptions<ServerOptions> server,
    IOptions<KestrelServerOptions> kestrel,
    IConfiguration configuration)
{
    // A host name or IPv4 address with an optional port: Kestrel checks the Host field further (IP literals, percent
    // escapes), and whatever is not this plain is left to it.
    private static readonly SearchValues<byte> PlainHostBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:"u8);

    private static readonly byte[] SharedPrefix = Encoding.ASCII.GetBytes(CacheStatusHeader.SharedPrefix);
    private static readonly byte[] StalePrefix = Encoding.ASCII.GetBytes(CacheStatusHeader.StalePrefix);

    private readonly bool _serverHeader = kestrel.Value.AddServerHeader;

    /// <summary>
    /// On unless <c>Server:DirectHits</c> is false, and only while <c>AllowedHosts</c> admits every host: host filtering
    /// is middleware the direct path does not run.
    /// </summary>
    public bool Enabled { get; } = server.Value.DirectHits && configuration["AllowedHosts"] is null or "" or "*";

    public TimeSpan KeepAliveTimeout { get; } = kestrel.Value.Limits.KeepAliveTimeout;

    public TimeSpan RequestHeadersTimeout { get; } = kestrel.Value.Limits.RequestHeadersTimeout;

    public long? MaxResponseBufferSize { get; } = kestrel.Value.Limits.MaxResponseBufferSize;

    public HeadLimits HeadLimits { get; } = HeadLimits.From(kestrel.Value.Limits);

    private readonly MinDataRate? _minResponseRate = kestrel.Value.Limits.MinResponseDataRate;

    /// <summary>
    /// How long sending <paramref name="bytes"/> may take before the client counts as too slow a reader: Kestrel's
    /// <c>MinResponseDataRate</c> (its grace period, then its rate), or no limit where that is unset.
    /// </summary>
    public TimeSpan SendLimit(long bytes) =>
        _minResponseRate is { BytesPerSecond: > 0 } rate
            ? rate.GracePeriod + TimeSpan.FromSeconds(bytes / rate.BytesPerSecond)
            : Timeout.InfiniteTimeSpan;

    /// <summary>Whether <paramref name="head"/> is a hit answered here; if so its response head is in <paramref name="scratch"/>.</summary>
    public bool TryAnswer(in RequestHead head, ConnectionKey key, Span<byte> scratch, out DirectAnswer answer)
    {
        answer = default;
        var started = Stopwatch.GetTimestamp();
        if (head.Conditional || head.AuthorizationCount != 1 || head.AcceptEncodingCount > 1 || !IsPlainHost(head.Host) ||
            !head.Method.SequenceEqual("GET"u8) || !head.Target.StartsWith("/job/"u8))
        {
            return false;
        }

        var id = head.Target["/job/".Length..];
        if (!JobId.IsValid(id))
        {
            return false;
        }

        // Another team's job is the pipeline's to answer, as a job that does not exist; so is every refusal.
        var match = key.Find(head.Authorization, keys);
        if (match.Principal is not TeamPrincipal claimed)
        {
            return false;
        }

        // As the pipeline reads: the terminal copy first, then a running answer within its window, then one past it
        // when the pipeline would give that at once (JobMisses.AnswersAtOnce).
        var jobId = Encoding.ASCII.GetString(id);
        var now = time.GetUtcNow();
        var writer = new HeadWriter(scratch);
        ReadOnlyMemory<byte> body;
        string? runningJob = null;
        DateTimeOffset? staleAnsweredAt = null;
        var jobKey = redisKeys.ForJob(jobId);
        if (cache.GetLocal(jobKey) is { } entry)
        {
            if (!access.MayRead(claimed, entry.Owner))
            {
                return false;
            }

            var chosen = Representation.Choose(entry.Body, entry.ETag, entry.GzipBody, entry.GzipETag,
                entry.GzipETag is not null && head.AcceptEncodingCount == 1 && AllowsGzip(head.AcceptEncoding));
            body = chosen.Body;
            WriteStart(ref writer, body.Length, entry.ContentType);

            // In the order Kestrel writes them, so a capture of either path reads the same.
            if (chosen.Gzip)
            {
                writer.Line("Content-Encoding: gzip"u8);
            }

            writer.Field("ETag: "u8, chosen.ETag!);
            if (chosen.Vary)
            {
                writer.Line("Vary: Accept-Encoding"u8);
            }

            writer.Field("Cache-Status: "u8, CacheStatusHeader.Hit);
        }
        else if (running.GetLocal(jobId) is { Owner: { } owner } shared && access.MayRead(claimed, owner.Team))
        {
            // A running answer is given here only once Redis confirms no replica has learnt the job is terminal
            // (ConfirmAsync): the head is built now, the answer sent after that look.
            body = shared.Body;
            runningJob = jobId;
            WriteRunning(ref writer, shared, stale: false, now);
        }
        else if (running.GetLocalStale(jobId) is { Owner: { } staleOwner } stale && access.MayRead(claimed, staleOwner.Team) &&
            misses.AnswersAtOnce(jobKey, claimed.Team))
        {
            // The same confirmation as a shared answer's: a stale answer is never given once any replica answered the
            // job Completed either.
            body = stale.Body;
            runningJob = jobId;
            staleAnsweredAt = stale.AnsweredAt;
            WriteRunning(ref writer, stale, stale: true, now);
        }
        else
        {
            return false;
        }

        if (quotas.Any && quotas.View(claimed.Team) is { } view)
        {
            var (policy, state) = QuotaHeaders.Values(view, now);
            writer.Field(QuotaHeaders.PolicyHeader + ": ", policy);
            writer.Field(QuotaHeaders.StateHeader + ": ", state);
        }

        writer.Line(""u8);
        if (writer.Overflowed)
        {
            return false;
        }

        answer = new DirectAnswer(writer.Length, body, claimed.Team, started, runningJob, match, staleAnsweredAt);

        // Last, once nothing else can turn the hit away: the front door's token is then spent only on an answer sent.
        return runningJob is not null || Admit(answer);
    }

    /// <summary>
    /// For a running answer: whether it may be sent, once Redis confirms the job is still running everywhere and the
    /// front door admits it; if not, the pipeline answers the request as it always has.
    /// </summary>
    public async ValueTask<bool> ConfirmAsync(DirectAnswer answer)
    {
        if (answer.RunningJob is not { } jobId)
        {
            return true;
        }

        if (!await confirmations.ConfirmAsync(jobId) || !Admit(answer))
        {
            return false;
        }

        if (answer.StaleAnsweredAt is { } answeredAt)
        {
            misses.ServedStale(jobId, redisKeys.ForJob(jobId), answer.Team, answeredAt);
        }

        return true;
    }

    private bool Admit(in DirectAnswer answer) => frontDoor.Admit(answer.Match, Scope.JobsRead).Admitted;

    // The fields every answer starts with, in Kestrel's order.
    private void WriteStart(ref HeadWriter writer, int length, string? contentType)
    {
        writer.Line("HTTP/1.1 200 OK"u8);
        writer.Field("Content-Length: "u8, length);
        if (contentType is not null)
        {
            writer.Field("Content-Type: "u8, contentType);
        }

        writer.Field("Date: "u8, HttpDate.Now());
        if (_serverHeader)
        {
            writer.Line("Server: Kestrel"u8);
        }
    }

    // A running answer's head, fresh or stale, with the headers JobResponseResult writes, in Kestrel's order.
    private void WriteRunning(ref HeadWriter writer, RunningAnswer answer, bool stale, DateTimeOffset now)
    {
        var sharedUntil = running.FreshUntil(answer);
        WriteStart(ref writer, answer.Body.Length, answer.ContentType);
        writer.Field("Age: "u8, RunningHeaders.AgeSeconds(answer.AnsweredAt, now));
        writer.Line("Cache-Control: no-store"u8);
        writer.Field("Retry-After: "u8, RunningHeaders.RetryAfterSeconds(sharedUntil, now));
        writer.Field("Cache-Status: "u8, stale ? StalePrefix : SharedPrefix,
            stale ? RunningHeaders.StaleTtlMilliseconds(sharedUntil, now) : RunningHeaders.TtlMilliseconds(sharedUntil, now));
    }

    /// <summary>Counts a sent hit through the same accounting as the pipeline's answers.</summary>
    public void Record(in DirectAnswer answer) =>
        accounting.Count(new AnsweredRequest(answer.Team, TelemetryExtensions.JobRoute, StatusCodes.Status200OK,
            answer.RunningJob is null ? Served.Hit : Served.Shared, answer.Body.Length,
            Throttled: null, Stopwatch.GetElapsedTime(answer.Started), Direct: true));

    private static bool IsPlainHost(ReadOnlySpan<byte> host)
    {
        var colon = host.IndexOf((byte)':');
        return !host.IsEmpty && !host.ContainsAnyExcept(PlainHostBytes) && host[0] is not ((byte)'.' or (byte)'-' or (byte)':') &&
            (colon < 0 || host.Length - colon - 1 is > 0 and <= 5 && !host[(colon + 1)..].ContainsAnyExceptInRange((byte)'0', (byte)'9'));
    }

    private static bool AllowsGzip(ReadOnlySpan<byte> value)
    {
        // RequestHead admits only printable ASCII, so each byte is one char.
        const int StackChars = 512;
        if (value.Length > StackChars)
        {
            return Jobs.AcceptEncoding.AllowsGzip(Encoding.ASCII.GetString(value));
        }

        Span<char> chars = stackalloc char[value.Length];
        Encoding.ASCII.GetChars(value, chars);
        return Jobs.AcceptEncoding.AllowsGzip(chars);
    }
}
