using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Auth;

/// <summary>
/// What each team may do. For every scope: a team holding all the others is refused with 403
/// <c>insufficient_scope</c> and nothing reaches Reducto; a team holding only that scope gets through.
/// </summary>
public sealed class ScopeTests : GatewayTest
{
    private static readonly string[] AllScopes = ["jobs:read", "jobs:run", "uploads", "jobs:list", "webhooks"];

    protected override IReadOnlyDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>();
            foreach (var scope in AllScopes)
            {
                var name = scope.Replace(':', '-');
                settings[$"Teams:only-{name}:Keys:k:Key"] = KeyOf("only-" + name);
                settings[$"Teams:only-{name}:Scopes:0"] = scope;
                settings[$"Teams:without-{name}:Keys:k:Key"] = KeyOf("without-" + name);
                var index = 0;
                foreach (var other in AllScopes.Where(other => other != scope))
                {
                    settings[$"Teams:without-{name}:Scopes:{index++}"] = other;
                }
            }

            return settings;
        }
    }

    private static readonly (string Scope, string Method, string Path)[] Routes =
    [
        ("jobs:read", "GET", "/job/done-2k"),
        ("jobs:read", "HEAD", "/job/done-2k"),
        ("jobs:run", "POST", "/parse_async"),
        ("jobs:run", "POST", "/cancel/scope-cancel"),
        ("jobs:run", "DELETE", "/job/scope-delete"),
        ("uploads", "POST", "/upload"),
        ("jobs:list", "GET", "/jobs"),
    ];

    public static TheoryData<string, string, string> Calls => [.. Routes.Select(static r => new TheoryDataRow<string, string, string>(r.Scope, r.Method, r.Path))];

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task CallOutsideTheTeamsScopes_Gets403InsufficientScope_AndNeverReachesReducto(string scope, string method, string path)
    {
        var before = Upstream.Requests.Count;

        using var response = await SendAsync("without-" + scope.Replace(':', '-'), method, path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal($"Bearer error=\"insufficient_scope\", scope=\"{scope}\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(before, Upstream.Requests.Count);
        if (method != "HEAD")
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("urn:gateway:problem:insufficient-scope", problem.RootElement.GetProperty("type").GetString());
            Assert.Contains(scope, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task CallInsideTheTeamsScopes_GoesThrough(string scope, string method, string path)
    {
        using var response = await SendAsync("only-" + scope.Replace(':', '-'), method, path);

        Assert.True(response.IsSuccessStatusCode, $"{method} {path} with only {scope}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task TeamWithoutScopesConfigured_MayDoEverything()
    {
        foreach (var (_, method, path) in Routes)
        {
            using var response = await SendAsync(null, method, path);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode}");
        }
    }

    private static string KeyOf(string team) => team + "-scope-test-key-0001";

    private async Task<HttpResponseMessage> SendAsync(string? team, string method, string path)
    {
        using var client = Gateway.CreateClient(team is null ? GatewayFactory.TeamAKey : KeyOf(team));
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = path == "/upload"
                ? new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("%PDF-1.4")) { Headers = { ContentType = new MediaTypeHeaderValue("application/pdf") } }, "file", "a.pdf" } }
                : new StringContent("{\"input\":\"reducto://x\"}", Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request, Cancel);
    }
}
