using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary>
/// <c>StandIn:WebhookUrl</c>: an <c>after-Ns-*</c> job sends Reducto's direct webhook once, the moment it turns
/// Completed, to a real listener.
/// </summary>
public sealed class StandInWebhookTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAfterJob_PostsTheDirectWebhookOnce_WhenItTurnsCompleted()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Cancel);
        await using var standIn = await StandInServer.StartAsync(new StandInOptions { WebhookUrl = receiver.Url }, cancellationToken: Cancel);
        using var client = Client(standIn);
        var id = "after-1s-" + Guid.NewGuid().ToString("N");

        Assert.Equal("Pending", await StatusAsync(client, id));
        var webhook = await receiver.NextAsync(TimeSpan.FromSeconds(10), Cancel);
        var readOnNotice = await StatusAsync(client, id);
        await StatusAsync(client, id);

        using var body = JsonDocument.Parse(webhook.Body);
        Assert.Equal("application/json", webhook.ContentType);
        Assert.Equal("?secret=s", webhook.Query);
        Assert.Equal("Completed", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(id, body.RootElement.GetProperty("job_id").GetString());
        Assert.Equal(JsonValueKind.Object, body.RootElement.GetProperty("metadata").ValueKind);
        Assert.Empty(body.RootElement.GetProperty("metadata").EnumerateObject());
        Assert.Equal("Completed", readOnNotice);
        using var stats = await StandInStatsClient.GetAsync(standIn, "?job=" + id);
        Assert.True(webhook.At >= stats.RootElement.GetProperty("completions").GetProperty(id).GetDateTimeOffset(), "the webhook never arrives before the job is Completed");

        await Eventually.Until(() => RecordedAsync(standIn, id, answered: true), because: "the receiver's answer is recorded");
        using var after = await StandInStatsClient.GetAsync(standIn);
        Assert.Equal(202, DeliveryOf(after, id)!.Value.GetProperty("statusCode").GetInt32());
        Assert.Equal(1, receiver.Count);
    }

    [Fact]
    public async Task AFailedDelivery_IsRecorded_AndTheJobStillCompletes()
    {
        var receiver = await WebhookReceiver.StartAsync(Cancel);
        var nobodyListens = receiver.Url;
        await receiver.DisposeAsync();
        await using var standIn = await StandInServer.StartAsync(new StandInOptions { WebhookUrl = nobodyListens }, cancellationToken: Cancel);
        using var client = Client(standIn);
        var id = "after-0s-" + Guid.NewGuid().ToString("N");

        Assert.Equal("Completed", await StatusAsync(client, id));

        await Eventually.Until(() => RecordedAsync(standIn, id, answered: false), because: "the attempt is recorded");
        using var stats = await StandInStatsClient.GetAsync(standIn);
        var delivery = DeliveryOf(stats, id)!.Value;
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("statusCode").ValueKind);
        Assert.False(string.IsNullOrEmpty(delivery.GetProperty("error").GetString()));
        Assert.Equal("Completed", await StatusAsync(client, id));
    }

    [Fact]
    public async Task WithoutAWebhookUrl_TheStandInSendsNone()
    {
        await using var standIn = await StandInServer.StartAsync(cancellationToken: Cancel);
        using var client = Client(standIn);

        var id = "after-0s-" + Guid.NewGuid().ToString("N");

        Assert.Equal("Completed", await StatusAsync(client, id));

        using var stats = await StandInStatsClient.GetAsync(standIn);
        Assert.Empty(stats.RootElement.GetProperty("webhooks").EnumerateObject());
        Assert.True(stats.RootElement.GetProperty("completions").TryGetProperty(id, out _));
    }

    private static async Task<bool> RecordedAsync(StandInServer standIn, string id, bool answered)
    {
        using var stats = await StandInStatsClient.GetAsync(standIn);
        return DeliveryOf(stats, id) is { } delivery && (!answered || delivery.GetProperty("statusCode").ValueKind == JsonValueKind.Number);
    }

    // A JsonElement lives as long as its document: callers keep the document in a using.
    private static JsonElement? DeliveryOf(JsonDocument stats, string id) =>
        stats.RootElement.GetProperty("webhooks").TryGetProperty(id, out var delivery) ? delivery : null;

    private static HttpClient Client(StandInServer standIn)
    {
        var client = new HttpClient { BaseAddress = standIn.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stand-in-key");
        return client;
    }

    private static async Task<string?> StatusAsync(HttpClient client, string id)
    {
        using var body = JsonDocument.Parse(await client.GetStringAsync("job/" + id, Cancel));
        return body.RootElement.GetProperty("status").GetString();
    }
}
