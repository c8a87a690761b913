using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Webhooks;

/// <summary>
/// Reducto's completion notifications: authenticated by the URL secret (direct webhooks) or a Svix signature, and
/// acted on by reading the job once and answering everyone who waits on it.
/// </summary>
public sealed class WebhookTests : GatewayTest
{
    private const string Secret = "direct-webhook-secret-0004";
    private const string SvixKey = "c3ZpeC10ZXN0LWtleS1ub3QtYS1zZWNyZXQ=";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Webhooks:Secret"] = Secret,
        ["Webhooks:SvixSecret"] = "whsec_" + SvixKey,

        // Watchers poll so rarely that only the webhook can explain a prompt answer.
        ["Jobs:WatchInterval"] = "00:01:00",
        ["Jobs:MaxWatchInterval"] = "00:01:00",
    };

    [Fact]
    public async Task ACompletionNotice_AnswersEveryWaiterAtOnce_WithOneUpstreamRead()
    {
        var id = NewId("job-");
        Upstream.Script.Respond(id, 200, Running(id));
        var waits = Enumerable.Range(0, 20).Select(_ => WaitAsync(id)).ToArray();
        var watcher = Gateway.Services.GetRequiredService<JobWatcher>();
        await Eventually.Until(() => watcher.Waiting == 20, because: "every caller waits");
        var readsBefore = Upstream.Requests.CountForJob(id);

        Upstream.Script.Respond(id, 200, Completed(id));
        using var delivered = await PostAsync("?secret=" + Secret, Direct(id, "Completed"));
        var results = await Task.WhenAll(waits);

        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        Assert.All(results, body => Assert.Contains("\"Completed\"", body, StringComparison.Ordinal));
        Assert.Equal(readsBefore + 1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ANoticeForAJobNobodyWaitsOn_WarmsTheCache_AndDuplicatesCostNothing()
    {
        var id = NewId("done-");
        for (var i = 0; i < 3; i++)
        {
            using var delivered = await PostAsync("?secret=" + Secret, Direct(id, "Completed"));
            Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
            await Eventually.Until(
                () => Upstream.Requests.CountForJob(id) == 1 && Gateway.Services.GetRequiredService<JobReader>().Waiting == 0,
                because: "the notice triggers one read, which ends");
        }

        using var read = await GetJobAsync(id);
        Assert.Equal("Gateway; hit", read.Header("Cache-Status"));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task ANonTerminalNotice_ChangesNothing()
    {
        var id = NewId("done-");
        using var delivered = await PostAsync("?secret=" + Secret, Direct(id, "Pending"));
        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        await AfterAnAcceptedNoticeIsReadAsync();
        Assert.Equal(0, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?secret=")]
    [InlineData("?secret=direct-webhook-secret-0005")]
    [InlineData("?secret=direct-webhook-secret-0004x")]
    public async Task ADirectNoticeWithoutTheSecret_IsRefused_AndNothingHappens(string query)
    {
        var id = NewId("done-");
        using var delivered = await PostAsync(query, Direct(id, "Completed"));

        Assert.Equal(HttpStatusCode.Unauthorized, delivered.StatusCode);
        Assert.Equal("urn:gateway:problem:webhook-rejected", await ProblemTypeAsync(delivered));
        await AfterAnAcceptedNoticeIsReadAsync();
        Assert.Equal(0, Upstream.Requests.CountForJob(id));
        Assert.DoesNotContain(Gateway.Logs.GetSnapshot(), l => l.Message.Contains("0005", StringComparison.Ordinal) || l.Message.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASvixDeliveryWithAValidSignature_IsAccepted()
    {
        var id = NewId("done-");
        var body = Svix(id);
        using var delivered = await PostAsync("", body, SvixHeaders(body, DateTimeOffset.UtcNow, SvixKey));

        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        await Eventually.Until(() => Upstream.Requests.CountForJob(id) == 1, because: "the notice triggers one read");
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("stale")]
    [InlineData("tampered")]
    [InlineData("no-signature-but-svix-id")]
    public async Task ASvixDeliveryThatFailsItsCheck_IsRefused(string fault)
    {
        var id = NewId("done-");
        var body = Svix(id);
        var headers = fault switch
        {
            "wrong-key" => SvixHeaders(body, DateTimeOffset.UtcNow, Convert.ToBase64String("another-key-entirely"u8.ToArray())),
            "stale" => SvixHeaders(body, DateTimeOffset.UtcNow.AddMinutes(-10), SvixKey),
            "tampered" => SvixHeaders(Svix(NewId("done-")), DateTimeOffset.UtcNow, SvixKey),
            _ => new Dictionary<string, string> { ["svix-id"] = "msg_1", ["svix-timestamp"] = "1", ["svix-signature"] = "" },
        };

        using var delivered = await PostAsync("", body, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, delivered.StatusCode);
        await AfterAnAcceptedNoticeIsReadAsync();
        Assert.Equal(0, Upstream.Requests.CountForJob(id));
    }

    /// <summary>
    /// What proves that a notice caused nothing: a valid notice for another job, sent after it, has been read and its
    /// read has ended. A read the first notice had started would have been under way before this one began.
    /// </summary>
    private async Task AfterAnAcceptedNoticeIsReadAsync()
    {
        var marker = NewId("done-marker-");
        using var delivered = await PostAsync("?secret=" + Secret, Direct(marker, "Completed"));
        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        await Eventually.Until(
            () => Upstream.Requests.CountForJob(marker) == 1 && Gateway.Services.GetRequiredService<JobReader>().Waiting == 0,
            because: "the marker notice's read ended");
    }

    [Theory]
    [InlineData("not json", HttpStatusCode.BadRequest)]
    [InlineData("{\"status\":\"Completed\"}", HttpStatusCode.BadRequest)]
    [InlineData("{\"status\":\"Completed\",\"job_id\":\"../version\"}", HttpStatusCode.BadRequest)]
    public async Task AnAuthenticNoticeThatMakesNoSense_IsABadRequest(string body, HttpStatusCode expected)
    {
        using var delivered = await PostAsync("?secret=" + Secret, body);
        Assert.Equal(expected, delivered.StatusCode);
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Fact]
    public async Task AnOversizeNotice_IsRefusedWith413()
    {
        using var delivered = await PostAsync("?secret=" + Secret, "{\"pad\":\"" + new string('x', 100_000) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, delivered.StatusCode);
    }

    private async Task<string> WaitAsync(string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        request.Headers.TryAddWithoutValidation("Prefer", "wait=30");
        using var response = await Client.SendAsync(request, Cancel);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    private async Task<HttpResponseMessage> PostAsync(string query, string body, IReadOnlyDictionary<string, string>? headers = null)
    {
        // Reducto holds no gateway key: the delivery is sent without one.
        using var client = Gateway.CreateClient(gatewayKey: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/reducto" + query)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request, Cancel);
    }

    private static Dictionary<string, string> SvixHeaders(string body, DateTimeOffset at, string base64Key)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(id + "." + timestamp + "." + body));
        return new Dictionary<string, string>
        {
            ["svix-id"] = id,
            ["svix-timestamp"] = timestamp,

            // A rotated-out signature first: any one valid entry suffices.
            ["svix-signature"] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1," + Convert.ToBase64String(signature),
        };
    }

    private static async Task<string?> ProblemTypeAsync(HttpResponseMessage response) =>
        System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("type").GetString();

    private static string Direct(string id, string status) => $$$"""{"status":"{{{status}}}","job_id":"{{{id}}}","metadata":{"team":"x"}}""";

    private static string Svix(string id) => $$$"""{"type":"async.update","data":{"job_id":"{{{id}}}","status":"Completed"}}""";

    private static string Running(string id) => $$$"""{"job_id":"{{{id}}}","status":"Pending","progress":50}""";

    private static string Completed(string id) => $$$"""{"job_id":"{{{id}}}","status":"Completed","result":{"type":"full","chunks":[]}}""";
}
