using Gateway.Credits;
using Gateway.Ownership;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>
/// Each finished job's credits are booked once for the deployment, to the team and key that created it, however
/// many replicas read it and however (plain reads, <c>Prefer: wait</c>, hits); and a Redis that comes back empty is
/// rebuilt from the replicas' own books, as the README says, losing only what no living replica held.
/// </summary>
public sealed class CreditBookingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThreeReplicas_ReadingTheSameCompletingJobs_BookEachOnce_ToItsCreator_AndHitsAddNothing()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, CreditSettings());
        set.Upstream.Options.PendingFor = TimeSpan.FromMilliseconds(600);
        var jobs = new List<(string Id, string Key)>();
        for (var i = 0; i < 6; i++)
        {
            var key = i < 4 ? TeamA : TeamC;
            jobs.Add((await CreateJobAsync(set.Clients[i % 3], key), key));
        }

        // Every replica reads every job while it completes: one caller waits, another polls.
        var reads = jobs.SelectMany(job => set.Clients.SelectMany(client => new Task<decimal>[]
        {
            ReadUntilCompletedAsync(client, job.Id, job.Key, prefer: "wait=10"),
            ReadUntilCompletedAsync(client, job.Id, job.Key),
        })).ToArray();
        var credits = await Task.WhenAll(reads);
        var perJob = credits.Chunk(6).Select(static c => c.Distinct().Single()).ToArray();
        var expectedA = perJob.Take(4).Sum();
        var expectedC = perJob.Skip(4).Sum();

        await Eventually.Until(async () => (await MonthAsync(set.Replicas[1])).GetValueOrDefault(("team-c", "k"))?.Jobs == 2);
        foreach (var (id, key) in jobs)
        {
            foreach (var client in set.Clients)
            {
                await ReadUntilCompletedAsync(client, id, key);
            }
        }

        foreach (var replica in set.Replicas)
        {
            var month = await MonthAsync(replica);
            Assert.True(month.Count == 2, Describe(month));
            Assert.Equal((4, 12, expectedA), (month[("team-a", TeamAKeyId)].Jobs, month[("team-a", TeamAKeyId)].Pages, month[("team-a", TeamAKeyId)].Credits));
            Assert.Equal((2, 6, expectedC), (month[("team-c", "k")].Jobs, month[("team-c", "k")].Pages, month[("team-c", "k")].Credits));
        }

        Assert.Equal(6 * 3m, expectedA + expectedC);
    }

    [Fact]
    public async Task RedisRestartedEmpty_MidMonth_IsRebuiltFromTheLivingReplicasBooks_NotDoubled_LosingWhatOnlyAStoppedReplicaHeld()
    {
        await using var redis = new RedisServer();
        await redis.StartAsync();
        await using var upstream = await StandInServer.StartAsync(cancellationToken: Cancel);
        var settings = new Dictionary<string, string?>(CreditSettings()) { ["Cache:InstanceName"] = "credits-" + Guid.NewGuid().ToString("N")[..8] + ":" };
        await using var booker = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, settings);
        await using var reader = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, settings);
        var stopped = new GatewayFactory(upstream.BaseAddress, redis.ConnectionString, settings);
        using var bookerClient = booker.CreateClient();
        using var readerClient = reader.CreateClient();

        var kept = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var id = await CreateJobAsync(bookerClient, TeamA);
            upstream.Script.Respond(id, 200, CompletedBody(id, pages: 2, credits: 2.5m));
            await ReadUntilCompletedAsync(bookerClient, id, TeamA);
            kept.Add(id);
        }

        using (var stoppedClient = stopped.CreateClient())
        {
            var lost = await CreateJobAsync(stoppedClient, TeamA);
            upstream.Script.Respond(lost, 200, CompletedBody(lost, pages: 10, credits: 10m));
            await ReadUntilCompletedAsync(stoppedClient, lost, TeamA);
        }

        await stopped.DisposeAsync();
        Assert.Equal((5, 18, 20m), Figures(await MonthAsync(reader)));

        // The test server keeps nothing on disk: restarted, it holds no figures, markers, owners or cached answers.
        await redis.StopAsync();
        await redis.StartAsync();

        await Eventually.Until(async () => Figures(await MonthAsync(reader)) == (4, 8, 10m));
        // Logged once the restore has written the figures, so a moment after they can be read.
        await Eventually.Until(() => booker.Logs.GetSnapshot().Any(static log => log.Id.Id == CreditsLog.BookingsRestoredId), because: "the booker logs its restore");
        await Eventually.Until(async () => await reader.Services.GetRequiredService<OwnershipLedger>().FindAsync(OwnedKind.Job, kept[^1]) is not null);

        // The other replica reads them through Reducto again (the cached answers went with Redis): nothing is added.
        foreach (var id in kept)
        {
            await ReadUntilCompletedAsync(readerClient, id, TeamA);
        }

        await booker.Services.GetRequiredService<CreditLedger>().FlushAsync();
        Assert.Equal((4, 8, 10m), Figures(await MonthAsync(reader)));
    }

    private static (long Jobs, long Pages, decimal Credits) Figures(Dictionary<(string Team, string KeyId), CreditTally> month) =>
        month.TryGetValue(("team-a", TeamAKeyId), out var a) ? (a.Jobs, a.Pages, a.Credits) : (0, 0, 0m);
}
