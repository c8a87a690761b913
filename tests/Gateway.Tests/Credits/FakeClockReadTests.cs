using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>
/// Why a job read seemed to hang under a <see cref="FakeTimeProvider"/>: the upstream budget's bucket holds one token
/// and refills by the injected clock, so once a creation took it, the next upstream call waits for time that never
/// passes (and its BudgetWait runs on the same clock). Nothing in the credits code waits on the clock.
/// </summary>
public sealed class FakeClockReadTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnderAFakeClock_AReadAfterACreation_WaitsForTheUpstreamBudget_UntilTheClockMoves()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 20, 10, 0, 0, TimeSpan.Zero));
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, settings: CreditSettings(), time: time);
        using var client = gateway.CreateClient();
        var budget = gateway.Services.GetRequiredService<UpstreamBudget>();
        Assert.True(budget.JobPollSlotFree);

        var id = await CreateJobAsync(client, TeamC);
        Assert.False(budget.JobPollSlotFree);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(budget.JobPollSlotFree);
        using var response = await client.SendAsync(Request(HttpMethod.Get, "/job/" + id, TeamC), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"Completed\"", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }
}
