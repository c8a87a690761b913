using System.Net;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Creations.CreationTestKit;

namespace Gateway.Tests.Creations;

/// <summary>
/// <c>Idempotency-Key</c> (draft-ietf-httpapi-idempotency-key-header) on the creating routes: the team's key names one
/// request, whose first answer is replayed for it; the key never reaches Reducto.
/// </summary>
public sealed class IdempotencyKeyTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Creations:JoinWait"] = "00:00:05" };

    [Fact]
    public async Task SameKeyAndBody_IsReplayed_AndTheKeyIsNeverForwarded()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (first, job) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));
        var (replay, again) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));

        Assert.Equal(job, again);
        Assert.False(Replayed(first));
        Assert.True(Replayed(replay));
        Assert.Equal("application/json", replay.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await first.Content.ReadAsStringAsync(Cancel), await replay.Content.ReadAsStringAsync(Cancel));
        var creation = Assert.Single(Upstream.Creations.All);
        Assert.Null(creation.IdempotencyKey);
    }

    [Fact]
    public async Task SameKey_WithAnotherBody_Is422_AndCreatesNothing()
    {
        var key = Guid.NewGuid().ToString();
        await JobAsync(Client.SendAsync(Parse(NewBody(), idempotencyKey: key), Cancel));
        using var refused = await Client.SendAsync(Parse(NewBody(), idempotencyKey: key), Cancel);
        using var otherRoute = await Client.SendAsync(Parse(NewBody(), idempotencyKey: key, path: "/extract_async"), Cancel);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("urn:gateway:problem:idempotency-key-reused", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherRoute.StatusCode);
        Assert.Equal(1, Upstream.Creations.Count);
    }

    [Fact]
    public async Task SameKey_WhileTheFirstIsInFlight_WaitsAndGetsItsAnswer()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (job, twin, joined) = await RepeatWhileInFlightAsync(
            Upstream, Client, Parse(body, idempotencyKey: key, delayMs: 400), Client, Parse(body, idempotencyKey: key));

        Assert.Equal(job, joined);
        Assert.True(Replayed(twin));
        Assert.Equal(1, Upstream.Creations.Count);
    }

    [Fact]
    public async Task AnotherTeam_WithTheSameKeyValue_CreatesItsOwnJob()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (_, teamA) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));
        var (teamBAnswer, teamB) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key, key: GatewayFactory.TeamBKey), Cancel));

        Assert.NotEqual(teamA, teamB);
        Assert.False(Replayed(teamBAnswer));
        Assert.Equal(2, Upstream.Creations.Count);
    }

    [Fact]
    public async Task TwoKeysOrAnOverlongKey_Is400_AndCreatesNothing()
    {
        var twoKeys = Parse(NewBody(), idempotencyKey: "one");
        twoKeys.Headers.Add("Idempotency-Key", "two");
        using var two = await Client.SendAsync(twoKeys, Cancel);
        using var overlong = await Client.SendAsync(Parse(NewBody(), idempotencyKey: new string('k', 256)), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, two.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, overlong.StatusCode);
        Assert.Equal(0, Upstream.Creations.Count);
    }

    [Fact]
    public async Task TheKeyNeverAppearsInTheLog()
    {
        var key = "secret-looking-key-" + Guid.NewGuid();
        var body = NewBody();
        await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));
        await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));

        Assert.Contains(Gateway.Logs.GetSnapshot(), static log => log.Id.Name == "CreationReplayed");
        Assert.DoesNotContain(Gateway.Logs.GetSnapshot(), log => log.Message.Contains(key, StringComparison.Ordinal));
    }
}

/// <summary>A twin still in flight when the join wait runs out is answered 409, which the SDKs retry.</summary>
public sealed class IdempotencyKeyConflictTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Creations:JoinWait"] = "00:00:00" };

    [Fact]
    public async Task SameKey_StillInFlightPastTheJoinWait_Is409WithARetryHint_ThenReplayed()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var first = JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key, delayMs: 300), Cancel));
        await Eventually.Until(() => Upstream.Creations.Count == 1, because: "the first request reached the upstream");

        using var conflict = await Client.SendAsync(Parse(body, idempotencyKey: key), Cancel);
        var (_, job) = await first;
        var (replay, again) = await JobAsync(Client.SendAsync(Parse(body, idempotencyKey: key), Cancel));

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("true", conflict.Headers.GetValues("x-should-retry").Single());
        Assert.True(conflict.Headers.Contains("retry-after-ms"));
        Assert.Equal(job, again);
        Assert.True(Replayed(replay));
        Assert.Equal(1, Upstream.Creations.Count);
    }
}
