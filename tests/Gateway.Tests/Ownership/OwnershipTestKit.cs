using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Ownership;

/// <summary>
/// Teams A, B and C on one gateway, as the ownership tests use them: A creates, B attacks, C reads A's jobs by
/// <c>ReadsJobsOf</c>. Unowned jobs are denied (the gateway's default), unless a test says otherwise.
/// </summary>
internal static class OwnershipTestKit
{
    public const string TeamA = GatewayFactory.TeamAKey;
    public const string TeamB = GatewayFactory.TeamBKey;
    public const string TeamC = GatewayFactory.TeamCKey;

    public static Dictionary<string, string?> Settings(string? unowned = null) => new()
    {
        ["Jobs:UnownedJobs"] = unowned,
        ["Teams:team-c:Keys:k:Key"] = TeamC,
        ["Teams:team-c:ReadsJobsOf:0"] = "team-a",
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
    };

    public static HttpRequestMessage Request(HttpMethod method, string path, string key, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Creates a parse job as <paramref name="key"/>'s team and returns its id.</summary>
    public static async Task<string> CreateJobAsync(HttpClient client, string key, string body = "{\"input\":\"https://example.com/doc.pdf\"}")
    {
        using var response = await client.SendAsync(Request(HttpMethod.Post, "/parse_async", key, Json(body)), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return json.RootElement.GetProperty("job_id").GetString()!;
    }

    /// <summary>Uploads a small file as <paramref name="key"/>'s team and returns its <c>reducto://</c> id.</summary>
    public static async Task<string> UploadAsync(HttpClient client, string key)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent("%PDF-1.4 tiny"u8.ToArray()), "file", "doc.pdf" } };
        using var response = await client.SendAsync(Request(HttpMethod.Post, "/upload", key, form), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return json.RootElement.GetProperty("file_id").GetString()!;
    }

    /// <summary>What a caller can see of an answer: status, content type, body, and every header but Date.</summary>
    public static async Task<Seen> SeeAsync(HttpResponseMessage response)
    {
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(static h => h.Key != "Date")
            .Select(static h => h.Key + ": " + string.Join(",", h.Value))
            .Order(StringComparer.Ordinal)
            .ToArray();
        return new Seen(response.StatusCode, response.Content.Headers.ContentType?.ToString(),
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), string.Join("\n", headers));
    }

    internal sealed record Seen(HttpStatusCode Status, string? ContentType, string Body, string Headers);
}
