using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Direct;

/// <summary>
/// Terminal hits answered below Kestrel's HTTP layer must be indistinguishable from the same hits answered through
/// it: status, headers, bytes, framing on a keep-alive connection, what they count, and every refusal (keys,
/// scopes, the team's ceiling). Each answer of the gateway with default settings is compared with the answer of
/// one with <c>Server:DirectHits=false</c> in front of the same stand-in.
/// </summary>
public sealed class DirectHitTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    public static TheoryData<string, bool> SizesAndEncodings => new()
    {
        { "2k", false }, { "2k", true }, { "64k", false }, { "64k", true }, { "1m", false }, { "1m", true },
    };

    [Theory]
    [MemberData(nameof(SizesAndEncodings))]
    public async Task Hit_OfEachSizeAndEncoding_IsTheKestrelPathsAnswer_ByteForByte(string size, bool gzip)
    {
        var id = $"done-{size}-{Guid.NewGuid():N}";
        await fixture.WarmAsync(id);
        var expected = await fixture.UpstreamBytesAsync(id);
        string[] headers = gzip ? ["Accept-Encoding: gzip"] : [];

        // Twice on one connection: the first request of a connection and a later one.
        var answers = new Dictionary<GatewayHost, WireResponse[]>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey, headers);
            await connection.SendAsync(request);
            var first = await connection.ReadResponseAsync();
            await connection.SendAsync(request);
            answers[gateway] = [first, await connection.ReadResponseAsync()];
            Assert.Equal(0, await connection.StrayBytesAsync());
        }

        foreach (var (reference, direct) in answers[fixture.Reference].Zip(answers[fixture.Direct]))
        {
            Assert.Equal(200, direct.Status);
            Assert.Equal("Gateway; hit", direct.Header("Cache-Status"));
            Assert.Equal(gzip ? "gzip" : null, direct.Header("Content-Encoding"));
            Assert.Equal(expected, gzip ? Parity.Gunzip(direct.Body) : direct.Body);
            Parity.AssertSameAnswer(reference, direct);
        }

        Assert.Equal(3, fixture.Upstream.Requests.CountForJob(id)); // one miss per gateway, and the test's own read
    }

    [Theory]
    [InlineData("failed-", false)]
    [InlineData("failed-", true)]
    [InlineData("done-url-", false)]
    [InlineData("done-url-", true)]
    public async Task Hit_OfAFailedJobOrAUrlResult_IsTheKestrelPathsAnswer_ByteForByte(string kind, bool gzip)
    {
        var id = kind + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var expected = await fixture.UpstreamBytesAsync(id);
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey, gzip ? ["Accept-Encoding: gzip"] : []);

        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(request);
            answers[gateway] = await connection.ReadResponseAsync();
        }

        // Bodies under 1 KiB are stored without a gzip copy, and served as they are to every client.
        var direct = answers[fixture.Direct];
        Assert.Equal("Gateway; hit", direct.Header("Cache-Status"));
        Assert.Equal(expected, direct.Header("Content-Encoding") == "gzip" ? Parity.Gunzip(direct.Body) : direct.Body);
        Parity.AssertSameAnswer(answers[fixture.Reference], direct);
    }

    [Fact]
    public async Task RunningJob_SharedWithinItsWindow_KeepsTheRunningAnswersHeaders()
    {
        // Not a terminal hit: shared for a second, Cache-Control: no-store, timed by Age and Retry-After, no ETag.
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
            await connection.SendAsync(request, request);
            Assert.Equal("Gateway; fwd=uri-miss", (await connection.ReadResponseAsync()).Header("Cache-Status"));
            answers[gateway] = await connection.ReadResponseAsync();
        }

        var (direct, reference) = (answers[fixture.Direct], answers[fixture.Reference]);
        Assert.StartsWith("Gateway; hit; ttl=", direct.Header("Cache-Status"), StringComparison.Ordinal);
        Assert.Equal("no-store", direct.Header("Cache-Control"));
        Assert.Null(direct.Header("ETag"));
        Assert.Equal(NamesOf(reference), NamesOf(direct));
        Assert.Equal(reference.Body, direct.Body);
    }

    [Fact]
    public async Task MixedPipeline_InOneWrite_IsAnsweredInOrder_AsTheKestrelPathAnswersIt_WithNothingAfter()
    {
        var hit = "done-64k-" + Guid.NewGuid().ToString("N");
        var miss = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(hit);
        var expected = await fixture.UpstreamBytesAsync(hit);
        var key = GatewayFactory.TeamAKey;
        string etag;
        await using (var probe = await fixture.Direct.ConnectAsync())
        {
            await probe.SendAsync(WireConnection.Request("GET", "/job/" + hit, key));
            etag = (await probe.ReadResponseAsync()).Header("ETag")!;
        }

        const string Cancel = "{}";
        (string Request, bool Head)[] pipeline =
        [
            (WireConnection.Request("GET", "/job/" + hit, key), false),
            (WireConnection.Request("GET", "/job/" + miss, key), false),
            (WireConnection.Request("GET", "/job/" + hit, key, "Accept-Encoding: gzip"), false),
            (WireConnection.Request("HEAD", "/job/" + hit, key), true),
            (WireConnection.Request("GET", "/job/" + hit, key, "If-None-Match: " + etag), false),
            (WireConnection.Request("GET", "/job/" + hit, key, "Prefer: wait=1"), false),
            (WireConnection.Request("POST", "/cancel/mixed-pipeline-job", key, "Content-Type: application/json", $"Content-Length: {Cancel.Length}") + Cancel, false),
            (WireConnection.Request("GET", "/job/" + hit, key), false),
        ];
        var answers = new Dictionary<GatewayHost, List<WireResponse>>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync([.. pipeline.Select(static step => step.Request)]);
            answers[gateway] = [];
            foreach (var (_, head) in pipeline)
            {
                answers[gateway].Add(await connection.ReadResponseAsync(head));
            }

            Assert.Equal(0, await connection.StrayBytesAsync());
        }

        var direct = answers[fixture.Direct];
        Assert.Equal([200, 200, 200, 200, 304, 200, 200, 200], direct.Select(static r => r.Status));
        Assert.Equal(expected, direct[0].Body);
        Assert.Equal(await fixture.UpstreamBytesAsync(miss), direct[1].Body);
        Assert.Equal(expected, Parity.Gunzip(direct[2].Body));
        Assert.Equal(expected.Length.ToString(CultureInfo.InvariantCulture), direct[3].Header("Content-Length"));
        Assert.Equal("wait=1", direct[5].Header("Preference-Applied"));
        Assert.Equal(expected, direct[5].Body);
        Assert.Equal("{}", Encoding.UTF8.GetString(direct[6].Body));
        Assert.Equal(expected, direct[7].Body);
        for (var i = 0; i < pipeline.Length; i++)
        {
            Parity.AssertSameAnswer(answers[fixture.Reference][i], direct[i], $"answer {i + 1} of the pipeline");
        }

        Assert.Equal(3, fixture.Upstream.Requests.CountForJob(hit));
    }

    [Fact]
    public async Task UnknownKey_OnAConnectionThatMadeHits_Gets401_AsTheKestrelPathAnswers_AndNothingGoesUpstream()
    {
        var cached = "done-2k-" + Guid.NewGuid().ToString("N");
        var uncached = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(cached);
        var refusals = new Dictionary<GatewayHost, WireResponse[]>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(WireConnection.Request("GET", "/job/" + cached, GatewayFactory.TeamAKey));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            await connection.SendAsync(
                WireConnection.Request("GET", "/job/" + cached, "stranger-key-00000000000001"),
                WireConnection.Request("GET", "/job/" + uncached, "stranger-key-00000000000001"),
                WireConnection.Request("GET", "/job/" + cached, null),
                WireConnection.Request("GET", "/job/" + cached, GatewayFactory.TeamAKey));
            refusals[gateway] = [await connection.ReadResponseAsync(), await connection.ReadResponseAsync(), await connection.ReadResponseAsync()];
            var after = await connection.ReadResponseAsync();
            Assert.Equal("Gateway; hit", after.Header("Cache-Status"));
        }

        var direct = refusals[fixture.Direct];
        Assert.Equal([401, 401, 401], direct.Select(static r => r.Status));
        Assert.Equal(
            ["urn:gateway:problem:gateway-key-unknown", "urn:gateway:problem:gateway-key-unknown", "urn:gateway:problem:gateway-key-required"],
            direct.Select(Parity.ProblemType));
        Assert.Equal("Bearer error=\"invalid_token\", error_description=\"Unknown key\"", direct[0].Header("WWW-Authenticate"));
        for (var i = 0; i < direct.Length; i++)
        {
            Parity.AssertSameAnswer(refusals[fixture.Reference][i], direct[i], $"refusal {i + 1}");
        }

        Assert.Equal(0, fixture.Upstream.Requests.CountForJob(uncached));
        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(cached));
    }

    [Fact]
    public async Task KeyWithoutTheJobsReadScope_Gets403ForACachedJob_AsTheKestrelPathAnswers()
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var refusals = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(
                WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey),
                WireConnection.Request("GET", "/job/" + id, DirectTeams.NoReadKey));
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
            refusals[gateway] = await connection.ReadResponseAsync();
        }

        var direct = refusals[fixture.Direct];
        Assert.Equal(403, direct.Status);
        Assert.Equal("urn:gateway:problem:insufficient-scope", Parity.ProblemType(direct));
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"jobs:read\"", direct.Header("WWW-Authenticate"));
        Parity.AssertSameAnswer(refusals[fixture.Reference], direct);
        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task TeamCeiling_RefusesHitsPastIt_OnOneConnection_With429TeamLimitReached()
    {
        const int Burst = 10;
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        await using var connection = await fixture.Direct.ConnectAsync();
        var elapsed = Stopwatch.StartNew();
        await connection.SendAsync([.. Enumerable.Repeat(WireConnection.Request("GET", "/job/" + id, DirectTeams.LimitedKey), Burst)]);
        var answers = new List<WireResponse>();
        for (var i = 0; i < Burst; i++)
        {
            answers.Add(await connection.ReadResponseAsync());
        }

        elapsed.Stop();

        // A fresh team's bucket holds its ceiling; it refills by the ceiling once a second, so a burst that spans
        // a refill may pass that many more.
        var allowed = DirectTeams.LimitedPerSecond * (1 + (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds));
        var passed = answers.Count(static r => r.Status == 200);
        Assert.All(answers.Take(DirectTeams.LimitedPerSecond), static r => Assert.Equal("Gateway; hit", r.Header("Cache-Status")));
        Assert.InRange(passed, DirectTeams.LimitedPerSecond, allowed);
        Assert.True(passed < Burst, $"all {Burst} hits passed a ceiling of {DirectTeams.LimitedPerSecond} per second");
        var refused = answers.Where(static r => r.Status != 200).ToArray();
        Assert.All(refused, static r =>
        {
            Assert.Equal(429, r.Status);
            Assert.Equal("urn:gateway:problem:team-limit-reached", Parity.ProblemType(r));
            Assert.Equal("true", r.Header("x-should-retry"));
            Assert.NotNull(r.Header("retry-after-ms"));
        });
        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task Hit_SentOneBytePerWrite_IsAnsweredAsInOneWrite()
    {
        var id = "done-64k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var request = Encoding.Latin1.GetBytes(WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey, "Accept-Encoding: gzip"));

        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendInPiecesAsync(request, Enumerable.Range(1, request.Length - 1));
            answers[gateway] = await connection.ReadResponseAsync();
            await connection.SendAsync(request);
            Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
            Assert.Equal(0, await connection.StrayBytesAsync());
        }

        Assert.Equal("Gateway; hit", answers[fixture.Direct].Header("Cache-Status"));
        Assert.Equal(await fixture.UpstreamBytesAsync(id), Parity.Gunzip(answers[fixture.Direct].Body));
        Parity.AssertSameAnswer(answers[fixture.Reference], answers[fixture.Direct]);
    }

    public static TheoryData<string> CutPoints => ["inside the method", "inside the target", "inside the version", "after the request line",
        "inside a header name", "inside a header value", "inside the key", "between CR and LF of the last line", "between the last CRLF and CRLF"];

    [Theory]
    [MemberData(nameof(CutPoints))]
    public async Task Hit_WithItsHeadCut_IsAnsweredOnceWhole(string where)
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var text = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey, "Accept-Encoding: gzip");
        var cut = where switch
        {
            "inside the method" => 1,
            "inside the target" => text.IndexOf("/job/", StringComparison.Ordinal) + 3,
            "inside the version" => text.IndexOf("HTTP/1.", StringComparison.Ordinal) + 6,
            "after the request line" => text.IndexOf("\r\n", StringComparison.Ordinal) + 2,
            "inside a header name" => text.IndexOf("Accept-Enc", StringComparison.Ordinal) + 5,
            "inside a header value" => text.IndexOf("gzip", StringComparison.Ordinal) + 2,
            "inside the key" => text.IndexOf(GatewayFactory.TeamAKey, StringComparison.Ordinal) + 9,
            "between CR and LF of the last line" => text.Length - 1,
            _ => text.Length - 2,
        };

        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            // The first piece is in the server's hands, unanswered, before the rest is sent.
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(text[..cut]);
            Assert.Equal(0, await connection.StrayBytesAsync());
            await connection.SendAsync(text[cut..]);
            answers[gateway] = await connection.ReadResponseAsync();
            Assert.Equal(0, await connection.StrayBytesAsync());
        }

        Assert.Equal("Gateway; hit", answers[fixture.Direct].Header("Cache-Status"));
        Parity.AssertSameAnswer(answers[fixture.Reference], answers[fixture.Direct]);
    }

    [Fact]
    public async Task SecondPipelinedHead_ArrivingInPieces_AfterTheFirstWasAnswered_IsAnsweredOnceWhole()
    {
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var request = WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey);
        var half = request.Length / 2;
        await using var connection = await fixture.Direct.ConnectAsync();

        await connection.SendAsync(request + request[..half]);
        var first = await connection.ReadResponseAsync();
        Assert.Equal(0, await connection.StrayBytesAsync());
        await connection.SendAsync(request[half..^1]);
        Assert.Equal(0, await connection.StrayBytesAsync());
        await connection.SendAsync(request[^1..]);
        var second = await connection.ReadResponseAsync();

        Assert.Equal("Gateway; hit", first.Header("Cache-Status"));
        Parity.AssertSameAnswer(first, second);
        Assert.Equal(0, await connection.StrayBytesAsync());
    }

    [Fact]
    public async Task ConnectionClose_OnAHit_IsAnswered_ThenTheServerCloses()
    {
        var id = "done-64k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey, "Connection: close"));
            answers[gateway] = await connection.ReadResponseAsync();
            await connection.ClosedByServerAsync(TimeSpan.FromSeconds(30));
        }

        var direct = answers[fixture.Direct];
        Assert.Equal("Gateway; hit", direct.Header("Cache-Status"));
        Assert.Equal("close", direct.Header("Connection"));
        Assert.Equal(await fixture.UpstreamBytesAsync(id), direct.Body);
        Parity.AssertSameAnswer(answers[fixture.Reference], direct);
    }


    private static string[] NamesOf(WireResponse response) =>
        [.. response.Headers.Select(static h => h.Key.ToLowerInvariant()).Order(StringComparer.Ordinal)];
}

/// <summary>
/// What depends on the gateway's clock, on a fake one both gateways share: a key's expiry judged on every request of
/// a connection, and the quota headers, whose seconds to the reset must then agree between the two paths.
/// </summary>
public sealed class DirectHitClockTests(DirectHitClockTests.ClockedGateways fixture) : IClassFixture<DirectHitClockTests.ClockedGateways>
{
    private const string ExpiringTeam = "direct-expiring";
    private const string SoonKey = "direct-expiring-soon-key-0001";
    private const string LaterKey = "direct-expiring-later-key-002";
    private static readonly TimeSpan KeyLifetime = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task QuotaTeam_GetsTheSameRateLimitHeadersOnAHit_AsOnTheKestrelPath()
    {
        NextUpstreamSlot();
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        var answers = new Dictionary<GatewayHost, WireResponse[]>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            var request = WireConnection.Request("GET", "/job/" + id, DirectTeams.QuotaKey);
            await connection.SendAsync(request, request, WireConnection.Request("GET", "/job/" + id, DirectTeams.QuotaKey, "Accept-Encoding: gzip"));
            answers[gateway] = [await connection.ReadResponseAsync(), await connection.ReadResponseAsync(), await connection.ReadResponseAsync()];
        }

        var (miss, hit, gzip) = (answers[fixture.Direct][0], answers[fixture.Direct][1], answers[fixture.Direct][2]);
        Assert.Equal("Gateway; fwd=uri-miss; stored", miss.Header("Cache-Status"));
        Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
        Assert.Equal("Gateway; hit", gzip.Header("Cache-Status"));
        Assert.Equal($"\"daily\";q={DirectTeams.QuotaPerDay};w=86400", hit.Header("RateLimit-Policy"));
        // Other tests of this class spend the same team's quota, in an order xunit chooses: what this one owns is
        // that its miss spent one call and its hits none.
        var remaining = Remaining(miss);
        Assert.InRange(remaining, 0, DirectTeams.QuotaPerDay - 1);
        Assert.Matches($"^\"daily\";r={remaining};t=[0-9]+$", hit.Header("RateLimit"));
        Assert.Equal(hit.Header("RateLimit"), gzip.Header("RateLimit"));
        for (var i = 0; i < 3; i++)
        {
            Parity.AssertSameAnswer(answers[fixture.Reference][i], answers[fixture.Direct][i], $"answer {i + 1}");
        }

        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task RunningJob_SharedWithinItsWindow_IsTheKestrelPathsAnswer_HeaderForHeader_InKestrelsOrder()
    {
        NextUpstreamSlot();
        var id = "pending-" + Guid.NewGuid().ToString("N");
        // Both gateways at the same instants of the shared clock: the miss that opens the window, then two reads in it.
        var request = WireConnection.Request("GET", "/job/" + id, DirectTeams.QuotaKey);
        await using var viaKestrel = await fixture.Reference.ConnectAsync();
        await using var direct = await fixture.Direct.ConnectAsync();
        var answers = new Dictionary<GatewayHost, WireResponse[]> { [fixture.Reference] = [], [fixture.Direct] = [] };
        foreach (var (gateway, connection) in new[] { (fixture.Reference, viaKestrel), (fixture.Direct, direct) })
        {
            await connection.SendAsync(request);
            Assert.Equal("Gateway; fwd=uri-miss", (await connection.ReadResponseAsync()).Header("Cache-Status"));
        }

        foreach (var step in new[] { TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(750) })
        {
            fixture.Clock.Advance(step);
            foreach (var (gateway, connection) in new[] { (fixture.Reference, viaKestrel), (fixture.Direct, direct) })
            {
                await connection.SendAsync(request);
                answers[gateway] = [.. answers[gateway], await connection.ReadResponseAsync()];
            }
        }

        var expected = new[] { "Gateway; hit; ttl=990", "Gateway; hit; ttl=240" };
        for (var i = 0; i < 2; i++)
        {
            var (reference, shared) = (answers[fixture.Reference][i], answers[fixture.Direct][i]);
            Assert.Equal(expected[i], shared.Header("Cache-Status"));
            Assert.Equal("0", shared.Header("Age"));
            Assert.Equal("1", shared.Header("Retry-After"));
            Assert.Equal("no-store", shared.Header("Cache-Control"));
            Assert.Matches("^\"daily\";r=[0-9]+;t=[0-9]+$", shared.Header("RateLimit"));
            Parity.AssertSameAnswer(reference, shared, $"answer {i + 1}");
            Assert.Equal(InOrder(reference), InOrder(shared));
        }

        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task RunningJob_PastItsWindow_WithNoSlotFree_IsServedStaleDirectly_AsTheKestrelPathServesIt_AndRefreshedBehindIt()
    {
        NextUpstreamSlot();
        var id = "pending-" + Guid.NewGuid().ToString("N");
        var request = WireConnection.Request("GET", "/job/" + id, DirectTeams.QuotaKey);
        using var directAnswers = new MetricCollector<long>(
            fixture.Direct.Factory.Services.GetRequiredService<IMeterFactory>(), global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.direct.hits");
        await using var viaKestrel = await fixture.Reference.ConnectAsync();
        await using var direct = await fixture.Direct.ConnectAsync();
        var both = new[] { (fixture.Reference, viaKestrel), (fixture.Direct, direct) };
        foreach (var (_, connection) in both)
        {
            await connection.SendAsync(request);
            Assert.Equal("Gateway; fwd=uri-miss", (await connection.ReadResponseAsync()).Header("Cache-Status"));
        }

        // The 1 s window lapses and each gateway's one-slot bucket refills; another job's read then takes the slot.
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        foreach (var gateway in fixture.Both)
        {
            using var client = gateway.Factory.CreateClient(DirectTeams.QuotaKey);
            using var other = await client.GetAsync("/job/pending-" + Guid.NewGuid().ToString("N"), TestContext.Current.CancellationToken);
            Assert.Equal("Gateway; fwd=uri-miss", other.Header("Cache-Status"));
        }

        var answers = new Dictionary<GatewayHost, WireResponse>();
        foreach (var (gateway, connection) in both)
        {
            await connection.SendAsync(request);
            answers[gateway] = await connection.ReadResponseAsync();
        }

        var (reference, stale) = (answers[fixture.Reference], answers[fixture.Direct]);
        Assert.Equal("Gateway; hit; fwd=stale; ttl=-500", stale.Header("Cache-Status"));
        Assert.Equal("1", stale.Header("Age"));
        Assert.Equal("1", stale.Header("Retry-After"));
        Assert.Equal("no-store", stale.Header("Cache-Control"));
        Parity.AssertSameAnswer(reference, stale);
        Assert.Equal(InOrder(reference), InOrder(stale));
        await Eventually.Until(() => directAnswers.GetMeasurementSnapshot().Sum(static m => m.Value) == 1, because: "the stale answer was direct");

        // Each gateway queued one refresh behind its stale answer; it waits for a slot, and nobody waits with it.
        foreach (var gateway in fixture.Both)
        {
            var key = gateway.Factory.Services.GetRequiredService<global::Gateway.Redis.RedisKeys>().ForJob(id);
            Assert.True(gateway.Factory.Services.GetRequiredService<global::Gateway.Jobs.RefreshQueue>().Holds(key));
        }

        Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => fixture.Upstream.Requests.CountForJob(id) == 4, because: "each gateway refreshed the job behind its stale answer");
    }

    private static int Remaining(WireResponse response) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match(response.Header("RateLimit") ?? "", ";r=([0-9]+);").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    // Header lines as sent, Date's value aside.
    private static string[] InOrder(WireResponse response) =>
        [.. response.Headers.Select(static h => h.Key + ": " + (h.Key == "Date" ? "<date>" : h.Value))];

    [Fact]
    public async Task KeyExpiring_WhileItsConnectionIsOpen_Gets401Expired_WhileTheTeamsOtherKeyStillHits()
    {
        NextUpstreamSlot();
        var id = "done-2k-" + Guid.NewGuid().ToString("N");
        await fixture.WarmAsync(id);
        var connections = new Dictionary<GatewayHost, WireConnection>();
        try
        {
            foreach (var gateway in fixture.Both)
            {
                var connection = connections[gateway] = await gateway.ConnectAsync();
                await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, SoonKey));
                Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
            }

            fixture.Clock.Advance(KeyLifetime + TimeSpan.FromMinutes(1));

            var refusals = new Dictionary<GatewayHost, WireResponse>();
            foreach (var (gateway, connection) in connections)
            {
                await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, SoonKey), WireConnection.Request("GET", "/job/" + id, LaterKey));
                refusals[gateway] = await connection.ReadResponseAsync();
                Assert.Equal("Gateway; hit", (await connection.ReadResponseAsync()).Header("Cache-Status"));
            }

            var direct = refusals[fixture.Direct];
            Assert.Equal(401, direct.Status);
            Assert.Equal("urn:gateway:problem:gateway-key-expired", Parity.ProblemType(direct));
            Assert.Equal("Bearer error=\"invalid_token\", error_description=\"The key has expired\"", direct.Header("WWW-Authenticate"));
            Parity.AssertSameAnswer(refusals[fixture.Reference], direct);
            Assert.Equal(2, fixture.Upstream.Requests.CountForJob(id));
        }
        finally
        {
            foreach (var connection in connections.Values)
            {
                await connection.DisposeAsync();
            }
        }
    }

    // The upstream budget refills on the gateways' clock: each test's misses need it to have moved on since the last
    // test's, or they wait for a token that a stopped clock never brings.
    private void NextUpstreamSlot() => fixture.Clock.Advance(TimeSpan.FromSeconds(1));

    public sealed class ClockedGateways : DirectHitGateways
    {
        // The real time: the stand-in dates its jobs now, and the cache keeps nothing a fake clock says is 12 h old.
        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        protected override TimeProvider Time => Clock;

        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(DirectTeams.Settings)
        {
            [$"Teams:{ExpiringTeam}:Keys:soon:Key"] = SoonKey,
            [$"Teams:{ExpiringTeam}:Keys:soon:NotAfter"] = (Clock.GetUtcNow() + KeyLifetime).ToString("O", CultureInfo.InvariantCulture),
            [$"Teams:{ExpiringTeam}:Keys:later:Key"] = LaterKey,
        };
    }
}
