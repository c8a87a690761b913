using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Creations;

/// <summary>Teams A and B reuse their completed jobs; team C (<c>ReadsJobsOf</c> team A) keeps the default, off.</summary>
internal static class ReuseTestKit
{
    public const string ReusedHeader = "Gateway-Reused-Job";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static Dictionary<string, string?> Settings() => new(Ownership.OwnershipTestKit.Settings())
    {
        ["Teams:team-a:ReuseCompletedJobs"] = "true",
        ["Teams:team-b:ReuseCompletedJobs"] = "true",
    };

    /// <summary>A parse body on a document no other test uses, with options of every kind.</summary>
    public static JsonObject NewBody(string? input = null) => JsonNode.Parse($$$"""
        {
          "input": "{{{input ?? "https://example.com/" + Guid.NewGuid().ToString("N") + ".pdf"}}}",
          "enhance": {"summarize_figures": false},
          "formatting": {"add_page_markers": false},
          "retrieval": {"chunking": {"chunk_mode": "variable"}},
          "settings": {"page_range": {"start": 1, "end": 5}, "ocr_system": "standard", "extraction_mode": "hybrid", "return_images": []},
          "spreadsheet": {"clustering": "accurate"},
          "async": {"priority": false, "metadata": {"batch": 1}}
        }
        """)!.AsObject();

    public static async Task<(HttpResponseMessage Response, string JobId)> CreateAsync(
        HttpClient client, JsonNode body, string key = TeamA, string path = "/parse_async", Action<HttpRequestMessage>? configure = null)
    {
        var request = Request(HttpMethod.Post, path, key, Json(body.ToJsonString()));
        configure?.Invoke(request);
        var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        return (response, json.RootElement.GetProperty("job_id").GetString()!);
    }

    /// <summary>Has the stand-in finish the job with <paramref name="body"/> and reads it once through the gateway, which learns it is over.</summary>
    public static async Task FinishAsync(HttpClient client, StandInServer upstream, string jobId, string key, string body)
    {
        upstream.Script.Respond(jobId, 200, body);
        using var read = await client.SendAsync(Request(HttpMethod.Get, "/job/" + jobId, key), Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    public static Task CompleteAsync(HttpClient client, StandInServer upstream, string jobId, string key = TeamA, int pages = 3, decimal credits = 2.5m) =>
        FinishAsync(client, upstream, jobId, key, Credits.CreditsTestKit.CompletedBody(jobId, pages, credits));

    public static string? Reused(HttpResponseMessage response) =>
        response.Headers.TryGetValues(ReusedHeader, out var values) ? values.Single() : null;

    /// <summary>Sets the value at a dotted path (<c>settings.page_range.end</c>), making objects on the way.</summary>
    public static JsonObject With(JsonObject body, string path, string json)
    {
        var names = path.Split('.');
        var node = body;
        foreach (var name in names[..^1])
        {
            node = node[name] as JsonObject ?? (JsonObject)(node[name] = new JsonObject());
        }

        node[names[^1]] = JsonNode.Parse(json);
        return body;
    }
}
