using System.Net;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Creations.ReuseTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Creations;

/// <summary>
/// Reuse as another team would try it: the same body, on another replica, with Redis stopped, and through a file with
/// the same bytes or another team's file id. Team B never gets team A's job, and every one of its attempts is a
/// creation of its own (or a refusal) that the stand-in counts.
/// </summary>
public sealed class ReuseAcrossTeamsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TeamB_SendingTeamAsWork_OnEitherReplica_AndWithRedisStopped_CreatesItsOwnJobsEveryTime()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, ReuseTestKit.Settings());
        var body = NewBody();
        var (_, job) = await CreateAsync(set.Clients[0], body, TeamA);
        await CompleteAsync(set.Clients[0], set.Upstream, job, TeamA);

        // Team A's own repeat is reused on the other replica (through Redis): the index works, so B's misses below mean something.
        var (own, ownJob) = await CreateAsync(set.Clients[1], body, TeamA);
        Assert.Equal(job, ownJob);
        Assert.Equal(job, Reused(own));
        Assert.Equal(1, set.Upstream.Creations.Count);

        var bJobs = new List<string>();
        foreach (var client in set.Clients)
        {
            var (answer, bJob) = await CreateAsync(client, body, TeamB);
            Assert.Null(Reused(answer));
            bJobs.Add(bJob);
        }

        // With Redis stopped each replica has only its memory, which holds team A's entry on replica 0: still not B's.
        await redis.StopAsync();
        foreach (var client in set.Clients)
        {
            var (answer, bJob) = await CreateAsync(client, body, TeamB);
            Assert.Null(Reused(answer));
            bJobs.Add(bJob);
        }

        Assert.DoesNotContain(job, bJobs);
        Assert.Equal(4, bJobs.Distinct().Count());
        Assert.Equal(1 + 4, set.Upstream.Creations.Count);

        // And team A, on the replica that learnt the job Completed, is still given it from memory.
        var (again, againJob) = await CreateAsync(set.Clients[0], body, TeamA);
        Assert.Equal(job, againJob);
        Assert.Equal(job, Reused(again));
        Assert.Equal(5, set.Upstream.Creations.Count);
    }

    [Fact]
    public async Task TeamB_WithTheSameBytes_OrTeamAsFileId_NeverReachesTeamAsJob()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, ReuseTestKit.Settings());
        var aFile = await UploadAsync(set.Clients[0], TeamA);
        var (_, job) = await CreateAsync(set.Clients[0], NewBody(aFile), TeamA);
        await CompleteAsync(set.Clients[0], set.Upstream, job, TeamA);
        var parses = set.Upstream.Creations.CountFor("/parse_async");

        // Team A's file id in team B's body: refused as not B's, on both replicas, and nothing is created.
        foreach (var client in set.Clients)
        {
            using var refused = await client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamB, Json(NewBody(aFile).ToJsonString())), Cancel);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Contains("urn:gateway:problem:not-owned", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            Assert.Null(Reused(refused));
        }

        Assert.Equal(parses, set.Upstream.Creations.CountFor("/parse_async"));

        // The same bytes uploaded by team B are B's own document: a parse of them is a new job, on either replica.
        var bFile = await UploadAsync(set.Clients[1], TeamB);
        var (answer, bJob) = await CreateAsync(set.Clients[1], NewBody(bFile), TeamB);
        Assert.NotEqual(job, bJob);
        Assert.Null(Reused(answer));
        Assert.Equal(parses + 1, set.Upstream.Creations.CountFor("/parse_async"));
    }
}
