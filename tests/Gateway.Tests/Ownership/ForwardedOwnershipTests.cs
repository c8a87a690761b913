using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Ownership;

/// <summary>
/// Team B tries to cancel, delete, list and build on team A's work through every forwarded route. Each refusal is a
/// 404 problem naming the field, and none of B's attempts reaches the upstream; A's own calls go through.
/// </summary>
public sealed class ForwardedOwnershipTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => OwnershipTestKit.Settings();

    [Theory]
    [InlineData("POST", "/cancel/")]
    [InlineData("DELETE", "/job/")]
    public async Task TeamB_CannotCancelOrDeleteTeamAsJob_NorCanTeamC_WhoMayReadIt(string method, string prefix)
    {
        var job = await CreateJobAsync(Client, TeamA);
        var before = Upstream.Requests.Count;

        foreach (var key in new[] { TeamB, TeamC })
        {
            foreach (var spelling in new[] { job, job.ToUpperInvariant(), Uri.EscapeDataString(job).Replace("-", "%2D", StringComparison.Ordinal) })
            {
                using var refused = await Client.SendAsync(Request(new HttpMethod(method), prefix + spelling, key), Cancel);
                await AssertRefusedAsync(refused, "job_id");
            }
        }

        Assert.Equal(before, Upstream.Requests.Count);
        using var own = await Client.SendAsync(Request(new HttpMethod(method), prefix + job, TeamA), Cancel);
        Assert.True(own.IsSuccessStatusCode, $"A's own call: {(int)own.StatusCode}");
        Assert.Equal(before + 1, Upstream.Requests.Count);
    }

    [Fact]
    public async Task TeamB_CannotDeleteTeamAsFile()
    {
        var file = await UploadAsync(Client, TeamA);
        var id = file["reducto://".Length..];
        var before = Upstream.Requests.Count;

        foreach (var spelling in new[] { id, Uri.EscapeDataString(file), id.ToUpperInvariant(), id.Split('.')[0] })
        {
            using var refused = await Client.SendAsync(Request(HttpMethod.Delete, "/upload/" + spelling, TeamB), Cancel);
            await AssertRefusedAsync(refused, "file_id");
        }

        Assert.Equal(before, Upstream.Requests.Count);
        using var own = await Client.SendAsync(Request(HttpMethod.Delete, "/upload/" + id, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    public static TheoryData<string, string> References => new()
    {
        { "{\"input\":\"FILE\"}", "input" },
        { "{\"input\":[\"https://example.com/x.pdf\",\"FILE\"]}", "input[1]" },
        { "{\"input\":{\"file_id\":\"FILE\"}}", "input.file_id" },
        { "{\"input\":\"  FILE  \"}", "input" },
        { "{\"input\":\"FILE_UPPER\"}", "input" },
        { "{\"input\":\"FILE_ESCAPED\"}", "input" },
        { "{\"input\":\"https://example.com/x.pdf\",\"input\":\"FILE\"}", "input" },
        { "{\"input\":\"JOB\"}", "input" },
        { "{\"input\":\"https://example.com/x.pdf\",\"steps\":[{\"document\":{\"url\":\"JOB\"}}]}", "steps[0].document.url" },
    };

    [Theory]
    [MemberData(nameof(References))]
    public async Task TeamB_CannotBuildOnTeamAsFileOrJob_WhereverTheBodyNamesIt(string template, string field)
    {
        var file = await UploadAsync(Client, TeamA);
        var job = await CreateJobAsync(Client, TeamA);
        var body = Fill(template, file, job);
        var before = Upstream.Requests.Count;

        foreach (var route in new[] { "/parse_async", "/extract_async", "/split_async", "/pipeline_async", "/edit_async", "/classify_async", "/parse" })
        {
            using var refused = await Client.SendAsync(Request(HttpMethod.Post, route, TeamB, Json(body)), Cancel);
            await AssertRefusedAsync(refused, field);
        }

        Assert.Equal(before, Upstream.Requests.Count);

        // The same body is A's to send.
        using var own = await Client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamA, Json(body)), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(before + 1, Upstream.Requests.Count);
    }

    [Fact]
    public async Task ACreationBodyThatIsNotJsonOrIsEncoded_IsRefusedBeforeTheUpstream()
    {
        var before = Upstream.Requests.Count;
        using var notJson = await Client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamB, Json("{\"input\": reducto://x")), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        var encoded = Request(HttpMethod.Post, "/parse_async", TeamB, new ByteArrayContent([0x1f, 0x8b, 8, 0]));
        encoded.Content!.Headers.ContentEncoding.Add("gzip");
        using var refused = await Client.SendAsync(encoded, Cancel);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        Assert.Equal(before, Upstream.Requests.Count);
    }

    [Fact]
    public async Task TheJobList_ShowsEachTeamOnlyItsOwn_AndNeverAnotherTeamsConfig()
    {
        var secret = "https://bucket.example.com/a-secret-" + Guid.NewGuid().ToString("N") + ".pdf";
        var jobA = await CreateJobAsync(Client, TeamA, "{\"input\":\"" + secret + "\"}");
        var jobB = await CreateJobAsync(Client, TeamB);

        var seenByB = await ListAsync(TeamB);
        Assert.DoesNotContain(jobA, seenByB, StringComparison.Ordinal);
        Assert.DoesNotContain("a-secret-", seenByB, StringComparison.Ordinal);
        Assert.Contains(jobB, seenByB, StringComparison.Ordinal);

        var seenByA = await ListAsync(TeamA);
        Assert.Contains(jobA, seenByA, StringComparison.Ordinal);
        Assert.DoesNotContain(jobB, seenByA, StringComparison.Ordinal);

        // C reads A's jobs, so it lists them too.
        Assert.Contains(jobA, await ListAsync(TeamC), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigureWebhook_TakesTheAdminKey_NeverATeams()
    {
        var before = Upstream.Requests.Count;
        using var team = await Client.SendAsync(Request(HttpMethod.Post, "/configure_webhook", TeamA, Json("{}")), Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, team.StatusCode);
        Assert.Equal(before, Upstream.Requests.Count);

        using var admin = await Client.SendAsync(Request(HttpMethod.Post, "/configure_webhook", GatewayFactory.AdminKey, Json("{}")), Cancel);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(before + 1, Upstream.Requests.Count);
        var seen = Upstream.Requests.All[^1];
        Assert.Equal("/configure_webhook", seen.Path);
        Assert.Equal("Bearer " + GatewayFactory.ServerKey, seen.Headers["Authorization"]);
    }

    [Fact]
    public async Task TheAdmin_SeesWhoOwnsAJob()
    {
        var job = await CreateJobAsync(Client, TeamB);
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/admin/jobs/" + job, GatewayFactory.AdminKey), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("team-b", json.RootElement.GetProperty("team").GetString());
        Assert.Equal("parse-async", json.RootElement.GetProperty("route").GetString());

        using var team = await Client.SendAsync(Request(HttpMethod.Get, "/admin/jobs/" + job, TeamB), Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, team.StatusCode);
    }

    private async Task<string> ListAsync(string key)
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Get, "/jobs?limit=500", key), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("jobs").ValueKind);
        return body;
    }

    private static string Fill(string template, string file, string job)
    {
        var escaped = string.Concat(file.Select(static c => c == 'r' ? "\\u0072" : c == '/' ? "\\/" : c.ToString()));
        return template
            .Replace("FILE_UPPER", file.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("FILE_ESCAPED", escaped, StringComparison.Ordinal)
            .Replace("FILE", file, StringComparison.Ordinal)
            .Replace("JOB", "jobid://" + job, StringComparison.Ordinal);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("urn:gateway:problem:not-owned", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(field, json.RootElement.GetProperty("field").GetString());
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
    }
}
