using Gateway.Tests.Infrastructure;
using Gateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;

namespace Gateway.Tests.Upstream;

/// <summary>
/// The budget keeps a slot for completion webhooks' reads only where the webhook endpoint is on: there a webhook's read
/// goes at once while others wait, and everywhere else no slot sits idle for reads that cannot come.
/// </summary>
public sealed class WebhookReserveTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AWebhooksRead_FindsASlotKeptForIt_OnlyWhereWebhooksAreOn(bool webhooks)
    {
        var cancel = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await StandInServer.StartAsync(new StandInOptions(), cancellationToken: cancel);
        var settings = new Dictionary<string, string?> { ["Upstream:JobPollsPerSecond"] = "10" };
        if (webhooks)
        {
            settings["Webhooks:Secret"] = "webhook-reserve-secret-0001";
        }

        await using var gateway = new GatewayFactory(upstream.BaseAddress, settings: settings, time: clock);
        var budget = gateway.Services.GetRequiredService<UpstreamBudget>();
        Assert.True(await budget.AcquireJobPollAsync("team-a", cancel));
        Assert.False(budget.JobPollSlotFree);
        var queued = budget.AcquireJobPollAsync("team-a", cancel).AsTask();

        var read = budget.AcquireJobPollAsync(Gateway.Webhooks.JobCompletion.Team, cancel, BudgetLane.Urgent).AsTask();
        Assert.Equal(webhooks, read.IsCompleted);
        Assert.False(queued.IsCompleted);

        // Admitted by one limiter, each then asks the next (the overall rate's) on the thread pool, so the clock moves in
        // steps, each after the last was seen, until both have gone.
        await Eventually.Until(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(20));
            return read.IsCompleted && queued.IsCompleted;
        }, because: "tokens come as the clock moves");
        Assert.True(await read);
        Assert.True(await queued);
    }
}
