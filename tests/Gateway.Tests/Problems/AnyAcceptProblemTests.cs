using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Problems;

/// <summary>
/// Every error the gateway makes itself keeps its status and its RFC 9457 body whatever the caller's <c>Accept</c>
/// says: a browser tab, a monitoring probe or a client asking for XML gets the same problem a JSON client gets.
/// </summary>
public sealed class AnyAcceptProblemTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
        ["Auth:ClientKeys:team-c"] = GatewayFactory.TeamCKey,
        ["Teams:team-c:RequestsPerSecond"] = "1",
        ["Webhooks:Secret"] = "any-accept-webhook-secret-0001",
    };

    // "(none)" sends no Accept header at all.
    public static TheoryData<string> Accepts =>
    [
        "(none)",
        "application/json",
        "text/html",
        "image/png",
        "text/html;q=0",
        "application/json;q=0",
        "*/*;q=0",
        "application/xml, text/plain;q=0.5",
        "application/problem+json",
        "not a media type",
        "",
    ];

    [Theory]
    [MemberData(nameof(Accepts))]
    public async Task GatewayErrors_KeepStatusAndProblemBody_WhateverAcceptSays(string accept)
    {
        var cases = new (string Name, Func<HttpRequestMessage> Request, string? Key, HttpStatusCode Status)[]
        {
            ("no key", () => Get("/job/done-2k"), null, HttpStatusCode.Unauthorized),
            ("unknown key", () => Get("/job/done-2k"), "not-a-configured-key-000", HttpStatusCode.Unauthorized),
            ("admin key on a job", () => Get("/job/done-2k"), GatewayFactory.AdminKey, HttpStatusCode.Forbidden),
            ("team key on the purge", () => new HttpRequestMessage(HttpMethod.Delete, "/admin/cache/jobs/done-2k"), GatewayFactory.TeamAKey, HttpStatusCode.Forbidden),
            ("invalid id", () => Get("/job/bad.id"), GatewayFactory.TeamAKey, HttpStatusCode.BadRequest),
            ("unknown path", () => Get("/no-such-route"), GatewayFactory.TeamAKey, HttpStatusCode.NotFound),
            ("wrong method", () => new HttpRequestMessage(HttpMethod.Put, "/job/done-2k"), GatewayFactory.TeamAKey, HttpStatusCode.MethodNotAllowed),
            ("body on a job read", () => new HttpRequestMessage(HttpMethod.Get, "/job/done-2k") { Content = new ByteArrayContent(new byte[4096]) },
                GatewayFactory.TeamAKey, HttpStatusCode.RequestEntityTooLarge),
            ("upstream refuses the server key", () => Get("/job/" + NewId("status-401-")), GatewayFactory.TeamAKey, HttpStatusCode.BadGateway),
            ("bad webhook secret", () => new HttpRequestMessage(HttpMethod.Post, "/webhooks/reducto?secret=wrong")
                { Content = new StringContent("{}", Encoding.UTF8, "application/json") }, null, HttpStatusCode.Unauthorized),
        };

        using var client = Gateway.CreateClient(null);
        foreach (var (name, build, key, status) in cases)
        {
            using var request = build();
            await AssertProblemAsync(client, request, key, accept, status, name);
        }

        // The team's ceiling is one request a second: the second of two back-to-back requests is refused.
        using var first = Get("/job/done-2k");
        first.Headers.Authorization = new("Bearer", GatewayFactory.TeamCKey);
        using var _ = await client.SendAsync(first, Cancel);
        using var second = Get("/job/done-2k");
        await AssertProblemAsync(client, second, GatewayFactory.TeamCKey, accept, HttpStatusCode.TooManyRequests, "team ceiling");
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static async Task AssertProblemAsync(
        HttpClient client, HttpRequestMessage request, string? key, string accept, HttpStatusCode status, string name)
    {
        request.Headers.Authorization = key is null ? null : new("Bearer", key);
        if (accept != "(none)")
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        var context = $"{name}, Accept '{accept}': {(int)response.StatusCode} {body}";
        Assert.True(status == response.StatusCode, context);
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", context);
        using var problem = JsonDocument.Parse(body);
        Assert.True(problem.RootElement.GetProperty("status").GetInt32() == (int)status, context);
        Assert.True(problem.RootElement.TryGetProperty("title", out _), context);
        Assert.True(problem.RootElement.TryGetProperty("type", out _), context);
    }
}
