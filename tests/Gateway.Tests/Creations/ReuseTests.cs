using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Creations.ReuseTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Creations;

/// <summary>
/// A team that reuses its completed jobs gets the earlier job for a creation asking for the same document and
/// output-affecting options, and the stand-in creates nothing; any other request creates as before.
/// </summary>
public sealed class ReuseTests(RedisServer redis) : GatewayTest
{
    protected override string? RedisConnectionString => redis.ConnectionString;

    protected override IReadOnlyDictionary<string, string?> Settings => ReuseTestKit.Settings();

    [Fact]
    public async Task SameDocumentAndOptions_AfterTheJobCompleted_GetTheEarlierJob_AndCreateNothing()
    {
        var body = NewBody();
        var (first, job) = await CreateAsync(Client, body);
        await CompleteAsync(Client, Upstream, job);

        // The same request written another way: keys in another order, other spacing, another escape.
        var rewritten = new JsonObject(body.Reverse().Select(static p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var text = rewritten.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }).Replace("https:", "https\\u003a", StringComparison.Ordinal);
        using var second = await Client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamA, Json(text)), Cancel);

        Assert.Null(Reused(first));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("{\"job_id\":\"" + job + "\"}", await second.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(job, Reused(second));
        Assert.Equal(1, Upstream.Creations.Count);
        Assert.Contains(Gateway.Logs.GetSnapshot(), static log => log.Id.Name == "CreationReused");
    }

    [Fact]
    public async Task AJobStillRunning_IsNotReused()
    {
        var body = NewBody();
        var (_, job) = await CreateAsync(Client, body);
        var (again, other) = await CreateAsync(Client, body);

        AssertCreatedAnew(new(job, again, other));
    }

    [Theory]
    [InlineData("enhance.summarize_figures", "true")]
    [InlineData("formatting.add_page_markers", "true")]
    [InlineData("retrieval.chunking.chunk_mode", "\"page\"")]
    [InlineData("settings.page_range.end", "6")]
    [InlineData("settings.ocr_system", "\"legacy\"")]
    [InlineData("settings.extraction_mode", "\"ocr\"")]
    [InlineData("settings.return_images", "[\"figure\"]")]
    [InlineData("settings.return_ocr_data", "true")]
    [InlineData("settings.force_url_result", "true")]
    [InlineData("settings.document_password", "\"secret\"")]
    [InlineData("settings.alpha", "\"2026-09\"")]
    [InlineData("spreadsheet.clustering", "\"disabled\"")]
    [InlineData("schema", "{\"type\":\"object\"}")]
    [InlineData("input", "\"https://example.com/another.pdf\"")]
    public async Task AnyOutputAffectingField_Changed_CreatesANewJob(string path, string value)
    {
        var body = NewBody();

        AssertCreatedAnew(await AfterCompletedAsync(body, With(NewBody(body["input"]!.GetValue<string>()), path, value)));
    }

    [Fact]
    public async Task AnotherRoute_CreatesANewJob()
    {
        var body = NewBody();

        AssertCreatedAnew(await AfterCompletedAsync(body, body, path: "/extract_async"));
    }

    [Theory]
    [InlineData("async.webhook", "{\"mode\":\"direct\",\"url\":\"https://example.com/hook\"}")]
    [InlineData("async.metadata", "{\"batch\":2}")]
    [InlineData("async.priority", "true")]
    [InlineData("queue_priority", "\"batch\"")]
    [InlineData("settings.queue_priority", "\"batch\"")]
    public async Task OnlyDeliveryOptions_Changed_StillReuse(string path, string value)
    {
        var body = NewBody();

        AssertReused(await AfterCompletedAsync(body, With(NewBody(body["input"]!.GetValue<string>()), path, value)));
    }

    [Fact]
    public async Task AnotherTeam_WithReuseOn_NeverGetsTheJob()
    {
        var body = NewBody();

        AssertCreatedAnew(await AfterCompletedAsync(body, body, asker: TeamB));
    }

    [Fact]
    public async Task ReuseIsOffByDefault()
    {
        var body = NewBody();

        AssertCreatedAnew(await AfterCompletedAsync(body, body, creator: TeamC));
    }

    [Fact]
    public async Task NoCache_CreatesANewJob_WhichLaterRequestsThenGet()
    {
        var body = NewBody();
        var fresh = await AfterCompletedAsync(body, body, configure: static request => request.Headers.CacheControl = new() { NoCache = true });
        AssertCreatedAnew(fresh);
        await CompleteAsync(Client, Upstream, fresh.AgainJob);

        var (reused, again) = await CreateAsync(Client, body);

        Assert.Equal(fresh.AgainJob, again);
        Assert.Equal(fresh.AgainJob, Reused(reused));
        Assert.Equal(2, Upstream.Creations.Count);
    }

    [Fact]
    public async Task AFailedJob_IsNeverReused()
    {
        var body = NewBody();
        var (_, job) = await CreateAsync(Client, body);
        await FinishAsync(Client, Upstream, job, TeamA, "{\"status\":\"Failed\",\"reason\":\"corrupt\",\"result\":null}");

        var (again, other) = await CreateAsync(Client, body);

        AssertCreatedAnew(new(job, again, other));
    }

    [Theory]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261207&X-Amz-Date=20261207T080000Z&X-Amz-Expires=3600&X-Amz-Signature=abc")]
    [InlineData("X-Amz-Credential=AKIA%2F20261207")]
    [InlineData("X-Goog-Signature=abc")]
    [InlineData("sv=2024-01-01&se=2026-12-08T00%3A00%3A00Z&sig=abc")]
    [InlineData("Expires=1800000000&Signature=abc")]
    public async Task APresignedUrl_IsNeverReused(string query)
    {
        var body = NewBody("https://bucket.example.com/" + Guid.NewGuid().ToString("N") + ".pdf?" + query);

        AssertCreatedAnew(await AfterCompletedAsync(body, body));
    }

    [Fact]
    public async Task IdenticalBytes_UploadedTwice_AreTwoFiles_AndTheSecondsParseIsReused()
    {
        var bytes = Guid.NewGuid().ToByteArray().Concat("%PDF-1.4 \r\n--not-a-boundary\r\n"u8.ToArray()).ToArray();
        var first = await UploadAsync(bytes, "invoice.pdf");
        var second = await UploadAsync(bytes, "copy of invoice.PDF");
        var different = await UploadAsync([.. bytes, 0], "invoice.pdf");
        Assert.NotEqual(first, second);
        Assert.Equal(3, Upstream.Creations.CountFor("/upload"));

        var (_, job) = await CreateAsync(Client, NewBody(first));
        await CompleteAsync(Client, Upstream, job);
        var byFileId = NewBody();
        byFileId["input"] = new JsonObject { ["file_id"] = second };
        var (reused, again) = await CreateAsync(Client, byFileId);
        var (other, _) = await CreateAsync(Client, NewBody(different));

        Assert.Equal(job, again);
        Assert.Equal(job, Reused(reused));
        Assert.Null(Reused(other));
        Assert.Equal(2, Upstream.Creations.CountFor("/parse_async"));
    }

    [Fact]
    public async Task AListOfDocuments_IsReusedOnlyWhenEveryOneIsKnown()
    {
        var url = "https://example.com/" + Guid.NewGuid().ToString("N") + ".pdf";
        var file = await UploadAsync(Guid.NewGuid().ToByteArray(), "a.pdf");
        var body = NewBody();
        body["input"] = new JsonArray(url, file);
        var (_, job) = await CreateAsync(Client, body);
        await CompleteAsync(Client, Upstream, job);
        var (reused, again) = await CreateAsync(Client, JsonNode.Parse(body.ToJsonString())!);

        var presigned = NewBody();
        presigned["input"] = new JsonArray(url, url + "?X-Amz-Signature=abc");
        var (_, signedJob) = await CreateAsync(Client, presigned);
        await CompleteAsync(Client, Upstream, signedJob);
        var (notReused, _) = await CreateAsync(Client, JsonNode.Parse(presigned.ToJsonString())!);

        Assert.Equal(job, again);
        Assert.Equal(job, Reused(reused));
        Assert.Null(Reused(notReused));
        Assert.Equal(3, Upstream.Creations.CountFor("/parse_async"));
    }

    [Fact]
    public async Task AnIdempotencyKeyReplay_StaysAReplay()
    {
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        var (_, job) = await CreateAsync(Client, body, configure: request => request.Headers.Add("Idempotency-Key", key));
        await CompleteAsync(Client, Upstream, job);

        var (replay, again) = await CreateAsync(Client, body, configure: request => request.Headers.Add("Idempotency-Key", key));

        Assert.Equal(job, again);
        Assert.True(CreationTestKit.Replayed(replay));
        Assert.Null(Reused(replay));
        Assert.Equal(1, Upstream.Creations.Count);
    }

    [Fact]
    public async Task ADeletedJob_IsNotReused()
    {
        var body = NewBody();
        var (_, job) = await CreateAsync(Client, body);
        await CompleteAsync(Client, Upstream, job);
        using (var deleted = await Client.SendAsync(Request(HttpMethod.Delete, "/job/" + job, TeamA), Cancel))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        var (again, other) = await CreateAsync(Client, body);

        AssertCreatedAnew(new(job, again, other));
    }

    [Fact]
    public async Task ASynchronousRoute_IsNeverAnsweredByReuse()
    {
        var body = NewBody();

        AssertCreatedAnew(await AfterCompletedAsync(body, body, path: "/parse"));
    }

    /// <summary>Creates <paramref name="body"/>'s job as <paramref name="creator"/>, has it Complete, then sends <paramref name="again"/>.</summary>
    private async Task<Outcome> AfterCompletedAsync(
        JsonNode body, JsonNode again, string creator = TeamA, string? asker = null, string path = "/parse_async", Action<HttpRequestMessage>? configure = null)
    {
        var (_, job) = await CreateAsync(Client, body, creator);
        await CompleteAsync(Client, Upstream, job, creator);
        var (answer, againJob) = await CreateAsync(Client, again, asker ?? creator, path, configure);
        return new Outcome(job, answer, againJob);
    }

    private void AssertCreatedAnew(Outcome outcome)
    {
        Assert.NotEqual(outcome.Job, outcome.AgainJob);
        Assert.Null(Reused(outcome.Again));
        Assert.Equal(2, Upstream.Creations.Count);
    }

    private void AssertReused(Outcome outcome)
    {
        Assert.Equal(outcome.Job, outcome.AgainJob);
        Assert.Equal(outcome.Job, Reused(outcome.Again));
        Assert.Equal(1, Upstream.Creations.Count);
    }

    private async Task<string> UploadAsync(byte[] bytes, string fileName)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", fileName } };
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/upload", TeamA, form), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        return json.RootElement.GetProperty("file_id").GetString()!;
    }

    /// <summary>The first job, and the answer to the request sent after it completed.</summary>
    private sealed record Outcome(string Job, HttpResponseMessage Again, string AgainJob);
}
