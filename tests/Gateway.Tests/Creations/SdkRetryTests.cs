using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Ownership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Gateway.Tests.Creations.CreationTestKit;

namespace Gateway.Tests.Creations;

/// <summary>
/// The official SDKs retry a creating POST with no idempotency key, numbering the attempts in
/// <c>x-stainless-retry-count</c>. A retry of the same team, route and body gets the first attempt's job, whether that
/// attempt is still running or answered, and even when its caller hung up: the stand-in counts one creation.
/// </summary>
public sealed class SdkRetryTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => OwnershipTestKit.Settings();

    [Fact]
    public async Task RetryAfterTheFirstAnswered_GetsItsJob_AndCreatesNothing()
    {
        var body = NewBody();
        var (first, job) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 0), Cancel));
        var (retry, again) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 1), Cancel));

        Assert.Equal(job, again);
        Assert.False(Replayed(first));
        Assert.True(Replayed(retry));
        Assert.Equal("application/json", retry.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, Upstream.Creations.Count);
    }

    [Fact]
    public async Task RetryWhileTheFirstIsInFlight_JoinsIt()
    {
        var body = NewBody();
        var (job, retry, joined) = await RepeatWhileInFlightAsync(
            Upstream, Client, Parse(body, retryCount: 0, delayMs: 400), Client, Parse(body, retryCount: 1));

        Assert.Equal(job, joined);
        Assert.True(Replayed(retry));
        Assert.Equal(1, Upstream.Creations.Count);
    }

    [Fact]
    public async Task CallerHangingUpMidCreation_LeavesItsTeamsJob_WhichTheRetryReceives()
    {
        var body = NewBody();
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var abandoned = Client.SendAsync(Parse(body, retryCount: 0, delayMs: 500), hangUp.Token);
        await Eventually.Until(() => Upstream.Creations.Count == 1, because: "the first attempt reached the upstream");
        hangUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        var (retry, job) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 1), Cancel));

        Assert.Equal(Upstream.Creations.All.Single().Id, job);
        Assert.True(Replayed(retry));
        using var owner = await Client.SendAsync(OwnershipTestKit.Request(HttpMethod.Get, "/admin/jobs/" + job, GatewayFactory.AdminKey), Cancel);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Contains("\"team\":\"team-a\"", await owner.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        using var read = await Client.SendAsync(OwnershipTestKit.Request(HttpMethod.Get, "/job/" + job, GatewayFactory.TeamAKey), Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains(Gateway.Logs.GetSnapshot(), static log => log.Id.Name == "CreationOutlivedCaller");
    }

    [Fact]
    public async Task FirstAttempts_WithTheSameBody_EachCreate()
    {
        var body = NewBody();
        var (_, one) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 0), Cancel));
        var (_, two) = await JobAsync(Client.SendAsync(Parse(body), Cancel));

        Assert.NotEqual(one, two);
        Assert.Equal(2, Upstream.Creations.Count);
    }

    [Fact]
    public async Task RetryWithAnotherBody_OrRoute_OrTeam_CreatesItsOwn()
    {
        var body = NewBody();
        await JobAsync(Client.SendAsync(Parse(body, retryCount: 0), Cancel));
        await JobAsync(Client.SendAsync(Parse(NewBody(), retryCount: 1), Cancel));
        await JobAsync(Client.SendAsync(Parse(body, retryCount: 1, path: "/extract_async"), Cancel));
        var (teamB, _) = await JobAsync(Client.SendAsync(Parse(body, retryCount: 1, key: GatewayFactory.TeamBKey), Cancel));

        Assert.False(Replayed(teamB));
        Assert.Equal(4, Upstream.Creations.Count);
    }

    [Fact]
    public async Task UploadRetry_WithTheSameBytes_GetsTheFirstFile()
    {
        var bytes = Guid.NewGuid().ToByteArray();
        async Task<string> UploadAsync(int attempt)
        {
            var form = new MultipartFormDataContent("fixed-boundary") { { new ByteArrayContent(bytes), "file", "doc.pdf" } };
            using var request = OwnershipTestKit.Request(HttpMethod.Post, "/upload", GatewayFactory.TeamAKey, form);
            request.Headers.Add("x-stainless-retry-count", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await Client.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync(Cancel);
        }

        var first = await UploadAsync(0);
        var retried = await UploadAsync(1);

        Assert.Equal(first, retried);
        Assert.Equal(1, Upstream.Creations.CountFor("/upload"));
    }

    [Fact]
    public async Task Usage_AndMetrics_CountForwardedAndRecognisedRetries()
    {
        var meters = Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var creations = new MetricCollector<long>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.creations");
        var body = NewBody();
        await JobAsync(Client.SendAsync(Parse(body, retryCount: 0), Cancel));
        await JobAsync(Client.SendAsync(Parse(body, retryCount: 1), Cancel));
        await JobAsync(Client.SendAsync(Parse(body, retryCount: 2), Cancel));

        var measured = creations.GetMeasurementSnapshot();
        Assert.Equal(1, measured.Count(static m => (string?)m.Tags["outcome"] == "forwarded"));
        Assert.Equal(2, measured.Count(static m => (string?)m.Tags["outcome"] == "replayed" && (string?)m.Tags["reason"] == "sdk_retry"));
        using var usage = await Client.GetAsync("/usage", Cancel);
        var report = await usage.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("\"creationsForwarded\":1,\"creationsReplayed\":2,\"retriesRecognised\":2", report, StringComparison.Ordinal);
    }
}
