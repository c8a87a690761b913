using System.Diagnostics;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Direct;

/// <summary>
/// Heads that are malformed, unusual or hostile, sent as raw bytes at a cached job: whatever the gateway decides
/// to answer directly or to hand to Kestrel, the answer (status, headers, bytes) and what becomes of the connection
/// afterwards must be those of the gateway with <c>Server:DirectHits=false</c>, and never a 5xx. Then clients that
/// vanish in the middle of a large direct hit.
/// </summary>
public sealed class DirectHitFaultTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    private const string Key = GatewayFactory.TeamAKey;

    // {id} is a cached 2 KiB job, {key} team A's key; each head is sent in one write as written.
    private static readonly Dictionary<string, string> Malformed = new()
    {
        ["space before a header's colon"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Test : 1\r\n\r\n",
        ["space before the key header's colon"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization : Bearer {key}\r\n\r\n",
        ["obs-fold continuation line"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Test: a\r\n b\r\n\r\n",
        ["obs-fold inside the key header"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer\r\n {key}\r\n\r\n",
        ["bare LF line endings"] = "GET /job/{id} HTTP/1.1\nHost: gateway\nAuthorization: Bearer {key}\n\n",
        ["bare LF ending the head"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\n",
        ["bare CR inside a value"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Test: a\rb\r\n\r\n",
        ["NUL in a header value"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Test: a\0b\r\n\r\n",
        ["NUL after the key"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\0\r\n\r\n",
        ["two Host headers"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nHost: other\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["no Host header"] = "GET /job/{id} HTTP/1.1\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["two Content-Length headers"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        ["Transfer-Encoding with Content-Length"] =
            "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        ["empty chunked body"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["absolute-form target"] = "GET http://gateway/job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["absolute-form target naming another host"] = "GET http://elsewhere:81/job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["asterisk-form target"] = "GET * HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["lowercase method"] = "get /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["HTTP/1.0"] = "GET /job/{id} HTTP/1.0\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["HTTP/1.0 asking for keep-alive"] = "GET /job/{id} HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["unknown HTTP version"] = "GET /job/{id} HTTP/1.2\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["lowercase version"] = "GET /job/{id} http/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["two spaces in the request line"] = "GET  /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["tab in the request line"] = "GET\t/job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["header name that is not a token"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX(Test): 1\r\n\r\n",
        ["empty header name"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n: 1\r\n\r\n",
        ["header line without a colon"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Test\r\n\r\n",
        ["header block over the limit"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nX-Big: " + new string('a', 40_000) + "\r\n\r\n",
        ["more headers than the limit"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n" +
            string.Concat(Enumerable.Range(0, 70).Select(static i => $"X-{i}: {i}\r\n")) + "\r\n",
        ["request line over the limit"] = "GET /job/{id}?" + new string('q', 9_000) + " HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["percent-encoded letter in the id"] = "GET /job/%64{idrest} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["percent-encoded slash in the id"] = "GET /job/{id}%2Fx HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["percent-encoded NUL in the id"] = "GET /job/{id}%00 HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["dot segment before the id"] = "GET /job/./{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["dot-dot segment before the path"] = "GET /job/../job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["encoded dot-dot segment"] = "GET /job/%2e%2e/job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["double slash"] = "GET //job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["trailing slash"] = "GET /job/{id}/ HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["non-ASCII byte in the target"] = "GET /job/{id}\u00e9 HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
    };

    // Heads a client may well send: each must get what the Kestrel path gives it.
    private static readonly Dictionary<string, string> Unusual = new()
    {
        ["lowercase header names"] = "GET /job/{id} HTTP/1.1\r\nhost: gateway\r\nauthorization: Bearer {key}\r\naccept-encoding: gzip\r\n\r\n",
        ["uppercase header names"] = "GET /job/{id} HTTP/1.1\r\nHOST: gateway\r\nAUTHORIZATION: Bearer {key}\r\nACCEPT-ENCODING: gzip\r\n\r\n",
        ["lowercase scheme"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: bearer {key}\r\n\r\n",
        ["spaces around the key"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization:    Bearer {key}   \r\n\r\n",
        ["two spaces after the scheme"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer  {key}\r\n\r\n",
        ["tab after the colon"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization:\tBearer {key}\r\n\r\n",
        ["two Authorization headers"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["Basic credentials"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n",
        ["gzip in capitals"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: GZIP\r\n\r\n",
        ["gzip refused with q=0"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: gzip;q=0\r\n\r\n",
        ["gzip among others with a weight"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: deflate, gzip;q=0.5, br\r\n\r\n",
        ["gzip refused, anything else welcome"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: gzip;q=0, *\r\n\r\n",
        ["any encoding"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: *\r\n\r\n",
        ["identity only"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: identity\r\n\r\n",
        ["gzip in a second Accept-Encoding line"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip\r\n\r\n",
        ["x-gzip"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nAccept-Encoding: x-gzip\r\n\r\n",
        ["Content-Length: 0"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\n\r\n",
        ["a small body"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nContent-Length: 19\r\n\r\nGET /job/x HTTP/1.1",
        ["a body over the job read's limit"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nContent-Length: 2000\r\n\r\n" + new string('b', 2000),
        ["a chunked body"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ["Expect: 100-continue with a small body"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
        ["Expect: 100-continue without a body"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nExpect: 100-continue\r\n\r\n",
        ["Connection: Upgrade"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        ["Connection: keep-alive"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: keep-alive\r\n\r\n",
        ["Connection: keep-alive, close"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: keep-alive, close\r\n\r\n",
        ["Connection: CLOSE"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: CLOSE\r\n\r\n",
        ["If-None-Match: *"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nIf-None-Match: *\r\n\r\n",
        ["If-None-Match of another representation"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nIf-None-Match: \"nope\"\r\n\r\n",
        ["If-Modified-Since"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nIf-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n\r\n",
        ["Range"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nRange: bytes=0-9\r\n\r\n",
        ["Cache-Control: no-cache"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nCache-Control: no-cache\r\n\r\n",
        ["Prefer: wait=0"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nPrefer: wait=0\r\n\r\n",
        ["Prefer: respond-async"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nPrefer: respond-async\r\n\r\n",
        ["query string"] = "GET /job/{id}?x=1 HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["empty query string"] = "GET /job/{id}? HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["Host with a port"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway:8080\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["sixty headers"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n" +
            string.Concat(Enumerable.Range(0, 60).Select(static i => $"X-{i}: {i}\r\n")) + "\r\n",
        ["cookies and forwarding headers"] = "GET /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nCookie: a=b\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
        ["HEAD"] = "HEAD /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["OPTIONS"] = "OPTIONS /job/{id} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["GET of a longer path"] = "GET /job/{id}/more HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
        ["GET of a prefix of the path"] = "GET /jobs HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n\r\n",
    };

    public static TheoryData<string> MalformedHeads => [.. Malformed.Keys];

    public static TheoryData<string> UnusualHeads => [.. Unusual.Keys];

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public async Task MalformedHead_IsNever5xx_AndIsAnsweredAsTheKestrelPathAnswersIt(string head)
    {
        var (direct, reference) = await SendToBothAsync(Malformed[head]);

        // 505 is the one 5xx a head can earn: it names a version the server does not speak.
        Assert.True(direct.Answer.Status < 500 || (direct.Answer.Status == 505 && head.EndsWith("version", StringComparison.Ordinal)), $"{head}: {direct.Answer.StatusLine}");
        AssertSame(reference, direct);
    }

    [Theory]
    [MemberData(nameof(UnusualHeads))]
    public async Task UnusualHead_IsAnsweredAsTheKestrelPathAnswersIt(string head)
    {
        var (direct, reference) = await SendToBothAsync(Unusual[head], head == "HEAD");

        Assert.True(direct.Answer.Status < 500, $"{head}: {direct.Answer.StatusLine}");
        AssertSame(reference, direct);
    }

    [Fact]
    public async Task HeaderBlockOverKestrelsLimit_Gets431()
    {
        var (direct, _) = await SendToBothAsync(Malformed["header block over the limit"]);

        Assert.Equal(431, direct.Answer.Status);
        Assert.Null(direct.Next);
    }

    [Fact]
    public async Task Http10Hit_IsAnswered_ThenClosed_UnlessItAsksForKeepAlive()
    {
        var (plain, _) = await SendToBothAsync(Malformed["HTTP/1.0"]);
        var (keepAlive, _) = await SendToBothAsync(Malformed["HTTP/1.0 asking for keep-alive"]);

        Assert.Equal(200, plain.Answer.Status);
        Assert.Equal("Gateway; hit", plain.Answer.Header("Cache-Status"));
        Assert.Null(plain.Next);
        Assert.Equal(200, keepAlive.Answer.Status);
        Assert.Equal("keep-alive", keepAlive.Answer.Header("Connection"));
        Assert.Equal(200, keepAlive.Next);
    }

    [Fact]
    public async Task ClientsResettingMidway_ThroughLargeHits_LeaveTheGatewayServingTheExactBytes()
    {
        var id = "done-5m-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var expected = await fixture.UpstreamBytesAsync(id);
        var gateway = fixture.Direct;
        var started = DateTimeOffset.UtcNow;

        for (var i = 0; i < 8; i++)
        {
            await using var dropped = await gateway.ConnectAsync();
            string[] headers = i % 2 == 0 ? [] : ["Accept-Encoding: gzip"];
            var request = WireConnection.Request("GET", "/job/" + id, Key, headers);

            // Some pipeline a second hit behind the one they abandon.
            await dropped.SendAsync(i % 4 < 2 ? [request] : [request, request]);
            await dropped.ReadThenResetAsync(4096 * (i + 1));
        }

        await using var connection = await gateway.ConnectAsync();
        await connection.SendAsync(
            WireConnection.Request("GET", "/job/" + id, Key),
            WireConnection.Request("GET", "/job/" + id, Key, "Accept-Encoding: gzip"));
        var identity = await connection.ReadResponseAsync();
        var gzip = await connection.ReadResponseAsync();

        Assert.Equal("Gateway; hit", identity.Header("Cache-Status"));
        Assert.Equal(expected, identity.Body);
        Assert.Equal(expected, Parity.Gunzip(gzip.Body));
        Assert.Equal(0, await connection.StrayBytesAsync());
        Assert.Equal(3, fixture.Upstream.Requests.CountForJob(id)); // one miss per gateway, and the test's own read

        // A caller hanging up is not the gateway's failure: nothing is logged as an error.
        Assert.DoesNotContain(gateway.Factory.Logs.GetSnapshot(), record => record.Timestamp >= started && record.Level >= LogLevel.Error);
    }

    private static void AssertSame(Outcome reference, Outcome direct)
    {
        Parity.AssertSameAnswer(reference.Answer, direct.Answer);
        Assert.True(reference.Next == direct.Next,
            $"after the answer, the Kestrel path {Describe(reference.Next)} but the direct path {Describe(direct.Next)}");
    }

    private static string Describe(int? next) => next is { } status ? $"answered the next request {status}" : "closed the connection";

    /// <summary>
    /// Sends the head to each gateway on a connection of its own, reads the answer, then sends a plain hit on the
    /// same connection to learn whether the server still serves it.
    /// </summary>
    private async Task<(Outcome Direct, Outcome Reference)> SendToBothAsync(string template, bool head = false)
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var request = Encoding.Latin1.GetBytes(template.Replace("{idrest}", id["d".Length..], StringComparison.Ordinal)
            .Replace("{id}", id, StringComparison.Ordinal).Replace("{key}", Key, StringComparison.Ordinal));
        var outcomes = new Dictionary<GatewayHost, Outcome>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(request);
            var answer = await connection.ReadResponseAsync(head);
            var next = answer.Header("Connection") is { } value && value.Contains("close", StringComparison.OrdinalIgnoreCase)
                ? await ClosedAsync(connection)
                : await connection.StatusOfNextAsync(WireConnection.Request("GET", "/job/" + id, Key));
            outcomes[gateway] = new Outcome(answer, next);
            TestContext.Current.TestOutputHelper?.WriteLine($"{(gateway == fixture.Direct ? "direct" : "kestrel")}: {answer.StatusLine}, then {Describe(next)}");
        }

        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
        return (outcomes[fixture.Direct], outcomes[fixture.Reference]);
    }

    private static async Task<int?> ClosedAsync(WireConnection connection)
    {
        await connection.ClosedByServerAsync(TimeSpan.FromSeconds(30));
        return null;
    }

    private sealed record Outcome(WireResponse Answer, int? Next);
}

/// <summary>Kestrel's keep-alive timeout closes a connection that made only direct hits and then went quiet.</summary>
public sealed class DirectHitKeepAliveTests(DirectHitKeepAliveTests.ShortKeepAliveGateway fixture) : IClassFixture<DirectHitKeepAliveTests.ShortKeepAliveGateway>
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ConnectionIdleAfterAHit_IsClosedByTheServer_AfterTheKeepAliveTimeout()
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        using (var client = fixture.Gateway.CreateClient())
        using (var miss = await client.GetAsync("/job/" + id, TestContext.Current.CancellationToken))
        {
            Assert.Equal("Gateway; fwd=uri-miss; stored", miss.Header("Cache-Status"));
        }

        await using var connection = await WireConnection.OpenAsync(fixture.Address);
        await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey));
        Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
        var idle = Stopwatch.StartNew();

        await connection.ClosedByServerAsync(TimeSpan.FromSeconds(30));

        // Kestrel checks its timeouts about once a second: closed after the timeout, not at once for another reason.
        Assert.True(idle.Elapsed > KeepAlive - TimeSpan.FromMilliseconds(500), $"closed after {idle.Elapsed}, before the keep-alive timeout");
        Assert.Equal(1, fixture.Upstream.Requests.CountForJob(id));
    }

    public sealed class ShortKeepAliveGateway : KestrelGateway
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kestrel:Limits:KeepAliveTimeout"] = "00:00:02",
        };
    }
}
