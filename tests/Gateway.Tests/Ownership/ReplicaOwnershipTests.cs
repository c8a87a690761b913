using System.Net;
using Gateway.Ownership;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Ownership;

/// <summary>
/// The ledger across replicas and through what Redis can lose: a job created on one replica is its team's on every
/// other at once, another team's everywhere, and neither changes when Redis goes away or comes back empty.
/// </summary>
public sealed class ReplicaOwnershipTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> FastSync() => new(Settings()) { ["Ownership:SyncInterval"] = "00:00:00.200" };

    [Fact]
    public async Task AJobCreatedOnOneReplica_IsItsTeamsOnTheOther_AtOnce_AndNeverTeamBs()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, Settings());
        var jobs = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            jobs.Add(await CreateJobAsync(set.Clients[i % 2], TeamA));
        }

        foreach (var (job, i) in jobs.Select((job, i) => (job, i)))
        {
            // Read first on the replica that did not create it, a moment after the creation answered.
            var other = set.Clients[(i + 1) % 2];
            using var refused = await other.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            using var own = await other.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }
    }

    [Fact]
    public async Task RedisRestartedEmpty_MidJobs_LocksNoTeamOut_AndOpensNothing()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        // No rewrite window: only the write-back after the lost mark can bring the records back.
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, new Dictionary<string, string?>(FastSync()) { ["Ownership:RewriteWindow"] = "00:00:00" });
        var creator = set.Clients[0];
        var reader = set.Clients[1];
        var jobs = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            jobs.Add(await CreateJobAsync(creator, TeamA));
        }

        // The test server keeps nothing on disk: restarted, it holds no record, cached answer or mark.
        await redis.StopAsync();
        await redis.StartAsync();

        // The replica that never saw these jobs learns their owner back from the one that recorded them.
        foreach (var job in jobs)
        {
            await Eventually.Until(async () =>
            {
                using var own = await reader.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
                return own.StatusCode == HttpStatusCode.OK;
            });
            using var refused = await reader.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        // And the record is in Redis again, so a third replica would know it too.
        var ledger = set.Replicas[1].Services.GetRequiredService<OwnershipLedger>();
        Assert.Equal("team-a", (await ledger.FindAsync(OwnedKind.Job, jobs[^1]))?.Team);
    }

    [Fact]
    public async Task WhileRedisIsAway_ACreationIsKeptLocally_AndWrittenWhenItAnswers()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, FastSync());
        await redis.StopAsync();

        var job = await CreateJobAsync(set.Clients[0], TeamA);

        // The creating replica serves its team; the other has not heard of the job and answers it as unknown.
        using var own = await set.Clients[0].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var refused = await set.Clients[0].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using var unknown = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        await redis.StartAsync();
        await Eventually.Until(async () =>
        {
            using var later = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
            return later.StatusCode == HttpStatusCode.OK;
        });
        using var stillRefused = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamB), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, stillRefused.StatusCode);
    }
    [Fact]
    public async Task ARunningJobsSharedAndStaleAnswers_AreNeverAnotherTeams_OnEitherReplica_OrWithRedisStopped()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(2, redis.ConnectionString, new Dictionary<string, string?>(FastSync()) { ["Jobs:PendingFreshness"] = "00:00:30" });
        var job = await CreateJobAsync(set.Clients[0], TeamA);
        set.Upstream.Script.Respond(job, 200, $$"""{"job_id":"{{job}}","status":"Pending"}""");

        // Team A's read shares the running answer in this replica's memory and in Redis, for every replica.
        using (var own = await set.Clients[0].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var shared = await set.Clients[1].SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel))
        {
            Assert.StartsWith("Gateway; hit", shared.Headers.GetValues("Cache-Status").Single(), StringComparison.Ordinal);
        }

        var reads = set.Upstream.Requests.CountForJob(job);
        async Task RefusedEverywhereAsync()
        {
            foreach (var client in set.Clients)
            {
                foreach (var (method, conditional) in new[] { (HttpMethod.Get, false), (HttpMethod.Head, false), (HttpMethod.Get, true) })
                {
                    var request = Request(method, "/job/" + job, TeamB);
                    if (conditional)
                    {
                        request.Headers.TryAddWithoutValidation("If-None-Match", "*");
                    }

                    using var refused = await client.SendAsync(request, Cancel);
                    Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
                    Assert.False(refused.Headers.Contains("Age"));
                }
            }
        }

        await RefusedEverywhereAsync();
        await redis.StopAsync();
        await RefusedEverywhereAsync();

        // Team B's six attempts on each side of the outage reached the upstream for this job 0 times.
        Assert.Equal(reads, set.Upstream.Requests.CountForJob(job));
    }
}
