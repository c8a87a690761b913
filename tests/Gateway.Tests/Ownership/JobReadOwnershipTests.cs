using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Ownership;

/// <summary>
/// Team B tries every form of reading team A's job: plain, HEAD, gzip, A's ETag, <c>Prefer: wait</c>, a running job's
/// shared answer, the memory tier and Redis. B gets exactly what it gets for a job that does not exist, and nothing
/// B does reaches the upstream.
/// </summary>
public sealed class JobReadOwnershipTests(RedisServer redis) : IAsyncLifetime
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private StandInServer _upstream = null!;

    public async ValueTask InitializeAsync() =>
        _upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);

    public async ValueTask DisposeAsync() => await _upstream.DisposeAsync();

    public static TheoryData<string, bool> Modes => new() { { "Deny", false }, { "Shared", false }, { "Deny", true }, { "Shared", true } };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task TeamB_GetsForACompletedJobOfTeamA_WhatItGetsForNoJob_AndTheUpstreamHearsNothing(string unowned, bool withRedis)
    {
        await using var gateway = new GatewayFactory(_upstream.BaseAddress, withRedis ? redis.ConnectionString : null, Settings(unowned));
        var client = gateway.CreateClient();
        var job = await CreateJobAsync(client, TeamA);
        using var own = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var etag = own.Headers.ETag!.Tag;
        var before = _upstream.Requests.CountForJob(job);

        // A job that exists nowhere: under Shared it is asked of the upstream (Reducto's own 404), under Deny not.
        var missing = Guid.NewGuid().ToString();
        var nothing = await SeeAsync(await client.SendAsync(Request(HttpMethod.Get, "/job/" + missing, TeamB), Cancel));
        Assert.Equal(HttpStatusCode.NotFound, nothing.Status);

        foreach (var attempt in Attempts(job, etag))
        {
            using var response = await client.SendAsync(attempt, Cancel);
            var seen = await SeeAsync(response);
            Assert.Equal(HttpStatusCode.NotFound, seen.Status);
            Assert.DoesNotContain(job, seen.Body, StringComparison.Ordinal);
            if (attempt.Method == HttpMethod.Get && attempt.Headers.IfNoneMatch.Count == 0 && !attempt.Headers.Contains("Prefer"))
            {
                Assert.Equal(nothing with { Headers = Without(nothing.Headers, "Cache-Status") }, seen with { Headers = Without(seen.Headers, "Cache-Status") });
                Assert.StartsWith("Cache-Status: Gateway; fwd=uri-miss", CacheStatus(seen.Headers), StringComparison.Ordinal);
            }
        }

        Assert.Equal(before, _upstream.Requests.CountForJob(job));

        // A's own reads go on working.
        using var again = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task TeamB_GetsNoRunningAnswerOfTeamA_AndTeamC_ReadsItByReadsJobsOf()
    {
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.FromHours(1) }, cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, Settings());
        var client = gateway.CreateClient();
        var job = await CreateJobAsync(client, TeamA);
        using var own = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var reads = upstream.Requests.CountForJob(job);

        using var refused = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using var waited = await client.SendAsync(WithPrefer(Request(HttpMethod.Get, "/job/" + job, TeamB)), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, waited.StatusCode);
        Assert.Equal(reads, upstream.Requests.CountForJob(job));

        using var shared = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamC), Cancel);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        Assert.Contains("Pending", await shared.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnownedJobs_Deny_ReadsNothingAndAsksNothing_Shared_ReadsAsBefore()
    {
        await using var deny = new GatewayFactory(_upstream.BaseAddress, null, Settings());
        await using var shared = new GatewayFactory(_upstream.BaseAddress, null, Settings("Shared"));
        var id = "done-" + Guid.NewGuid().ToString("N");

        using var denied = await deny.CreateClient().SendAsync(Request(HttpMethod.Get, "/job/" + id, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        Assert.Equal(0, _upstream.Requests.CountForJob(id));

        using var read = await shared.CreateClient().SendAsync(Request(HttpMethod.Get, "/job/" + id, TeamB), Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(1, _upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ACachedJobOfTeamA_IsRefusedToTeamB_OnTheDirectPath_AndServedThereToTeamA()
    {
        string job;
        await using var gateway = new GatewayFactory(_upstream.BaseAddress, null, Settings());
        var address = gateway.StartOnKestrel();
        using (var creator = new HttpClient { BaseAddress = address })
        {
            // On a connection of its own: a request with a body hands the rest of its connection to Kestrel.
            job = await CreateJobAsync(creator, TeamA);
        }

        using var client = new HttpClient { BaseAddress = address };
        using var first = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var before = _upstream.Requests.CountForJob(job);

        for (var i = 0; i < 3; i++)
        {
            using var refused = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            using var gzip = Request(HttpMethod.Get, "/job/" + job, TeamB);
            gzip.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            using var refusedGzip = await client.SendAsync(gzip, Cancel);
            Assert.Equal(HttpStatusCode.NotFound, refusedGzip.StatusCode);
            using var hit = await client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        Assert.Equal(before, _upstream.Requests.CountForJob(job));
    }

    private static IEnumerable<HttpRequestMessage> Attempts(string job, string etag)
    {
        yield return Request(HttpMethod.Get, "/job/" + job, TeamB);
        yield return Request(HttpMethod.Get, "/job/" + job.ToUpperInvariant(), TeamB);
        yield return Request(HttpMethod.Head, "/job/" + job, TeamB);
        var gzip = Request(HttpMethod.Get, "/job/" + job, TeamB);
        gzip.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        yield return gzip;
        var conditional = Request(HttpMethod.Get, "/job/" + job, TeamB);
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        yield return conditional;
        var any = Request(HttpMethod.Get, "/job/" + job, TeamB);
        any.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
        yield return any;
        yield return WithPrefer(Request(HttpMethod.Get, "/job/" + job, TeamB));
    }

    private static HttpRequestMessage WithPrefer(HttpRequestMessage request)
    {
        request.Headers.Add("Prefer", "wait=2");
        return request;
    }

    private static string CacheStatus(string headers) => headers.Split('\n').Single(static h => h.StartsWith("Cache-Status:", StringComparison.Ordinal));

    // Cache-Status says "collapsed" when reads happen to share a flight; nothing else in it may differ.
    private static string Without(string headers, string name) =>
        string.Join("\n", headers.Split('\n').Where(h => !h.StartsWith(name + ":", StringComparison.Ordinal)));
}
