using System.IO.Pipelines;
using Gateway.Problems;
using Gateway.Telemetry;
using Microsoft.Net.Http.Headers;

namespace Gateway.Jobs;

/// <summary>
/// Writes a job response as Reducto sent it: same status, same content type, same bytes. Terminal responses carry
/// their strong ETag and honour <c>If-None-Match</c>; everything else is marked <c>no-store</c> so no cache between
/// the gateway and the caller keeps a job that is still changing. A terminal job with a stored gzip copy is sent
/// compressed, as stored, to callers that accept gzip (the official SDKs do), with its own ETag and
/// <c>Vary: Accept-Encoding</c>. A running answer shared within its window says so (<c>Cache-Status</c>, <c>Age</c>)
/// and tells the caller when to poll again (<c>Retry-After</c>).
/// </summary>
internal sealed class JobResponseResult(JobRead read, TimeSpan? retryAfter) : IResult
{
    // 256 KiB, not 64: with 64 KiB pipe blocks (Server:PipeBlockBytes) a slice is four blocks and one flush, and 5 MiB
    // gzip hits cost 407-522 µs of CPU each against 531-637 with 64 KiB slices (1 MiB identity 528-645 against
    // 587-802; A/B, 3 rounds, bench/README.md). 64 connections then hold at most 16 MiB of slices.
    private const int SliceBytes = 256 * 1024;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        httpContext.Features.Set(ServedFeature.For(
            read.Outcome == CacheOutcome.Hit ? Served.Hit : read.Outcome is CacheOutcome.Shared or CacheOutcome.Stale ? Served.Shared : Served.Other));
        if (read.SharedUntil is { } sharedUntil)
        {
            WriteRunningHeaders(response, sharedUntil, httpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        }
        else
        {
            response.Headers[CacheStatusHeader.Name] = CacheStatusHeader.For(read);
        }

        if (retryAfter is { } delay)
        {
            GatewayProblems.SetRetryAfter(httpContext, delay);
        }

        var chosen = Representation.Choose(
            read.Body, read.ETag, read.GzipBody, read.GzipETag, read.GzipETag is not null && AcceptEncoding.AllowsGzip(httpContext.Request));
        var body = chosen.Body;
        var etag = chosen.ETag;
        if (chosen.Vary)
        {
            response.Headers.Vary = "Accept-Encoding";
        }

        if (chosen.Gzip)
        {
            response.Headers.ContentEncoding = "gzip";
        }

        if (etag is not null)
        {
            response.Headers.ETag = etag;
            if (NoneMatch(httpContext.Request, etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }
        }
        else
        {
            response.Headers.CacheControl = "no-store";
        }

        response.StatusCode = read.StatusCode;
        if (read.ContentType is { } contentType)
        {
            response.ContentType = contentType;
        }

        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(httpContext.Request.Method))
        {
            return Task.CompletedTask;
        }

        // Most bodies fit one slice and are written without a state machine of their own. Straight to the response
        // pipe: Response.Body would only wrap the same writer in a Stream.
        var writer = response.BodyWriter;
        if (body.Length > SliceBytes)
        {
            return WriteSlicedAsync(writer, body, httpContext.RequestAborted);
        }

        var write = writer.WriteAsync(body, httpContext.RequestAborted);
        return write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
    }

    // A running answer within its window says how old it is (RFC 9111 Age, whole seconds, for shared ones) and when a
    // newer one can exist. Retry-After rather than max-age: caches downstream must still not store it (no-store
    // stays), and the SDKs read Retry-After only on answers they retry, so a 200 carrying it changes nothing for them.
    private void WriteRunningHeaders(HttpResponse response, DateTimeOffset sharedUntil, DateTimeOffset now)
    {
        response.Headers[CacheStatusHeader.Name] = CacheStatusHeader.For(read, now);
        response.Headers.RetryAfter = RunningHeaders.RetryAfterSeconds(sharedUntil, now).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if ((read.Outcome is CacheOutcome.Shared or CacheOutcome.Stale) && read.AnsweredAt is { } answeredAt)
        {
            response.Headers.Age = RunningHeaders.AgeSeconds(answeredAt, now).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    // In slices, each flushed before the next is copied: Kestrel buffers a single write whole, so one 5 MiB write per
    // connection made 64 connections hold ~320 MiB (peak RSS 623 MiB in bench/run.sh) and stretched p99 to 859 ms.
    private static async Task WriteSlicedAsync(PipeWriter destination, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < body.Length; offset += SliceBytes)
        {
            await destination.WriteAsync(body.Slice(offset, Math.Min(SliceBytes, body.Length - offset)), cancellationToken);
        }
    }

    private static bool NoneMatch(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }

        var current = EntityTagHeaderValue.Parse(etag);
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false))
            {
                return true;
            }
        }

        return false;
    }
}
