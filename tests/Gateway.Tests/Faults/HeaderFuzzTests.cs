using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Faults;

/// <summary>
/// Every route, with random and hostile values for the headers that change what the gateway does (<c>Accept</c>,
/// <c>Accept-Encoding</c>, <c>Content-Type</c>, <c>Prefer</c>, <c>If-None-Match</c>) and every kind of key. The
/// stand-in only ever answers 2xx or 404 here, so any 5xx is the gateway's own. Seeded, so a failure can be replayed.
/// </summary>
public sealed class HeaderFuzzTests : GatewayTest
{
    private const int Requests = 2000;
    private const string WebhookSecret = "header-fuzz-webhook-secret-01";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:AdminKey"] = GatewayFactory.AdminKey,
        ["Auth:ClientKeys:team-c"] = GatewayFactory.TeamCKey,
        ["Teams:team-c:RequestsPerSecond"] = "5",
        ["Webhooks:Secret"] = WebhookSecret,
        // Random Prefer: wait values would otherwise hold requests on running jobs for up to a minute.
        ["Jobs:MaxWait"] = "00:00:01",
    };

    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Get, "/job/done-2k"),
        (HttpMethod.Head, "/job/done-64k"),
        (HttpMethod.Get, "/job/failed-fuzz"),
        (HttpMethod.Get, "/job/pending-fuzz"),
        (HttpMethod.Get, "/job/no-such-job"),
        (HttpMethod.Get, "/job/bad.id"),
        (HttpMethod.Put, "/job/done-2k"),
        (HttpMethod.Delete, "/job/fuzz-delete"),
        (HttpMethod.Post, "/cancel/fuzz-cancel"),
        (HttpMethod.Post, "/parse_async"),
        (HttpMethod.Post, "/upload"),
        (HttpMethod.Get, "/jobs"),
        (HttpMethod.Get, "/version"),
        (HttpMethod.Post, "/configure_webhook"),
        (HttpMethod.Post, "/webhooks/reducto?secret=" + WebhookSecret),
        (HttpMethod.Post, "/webhooks/reducto?secret=wrong"),
        (HttpMethod.Delete, "/admin/cache/jobs/done-2k"),
        (HttpMethod.Get, "/healthz"),
        (HttpMethod.Get, "/readyz"),
        (HttpMethod.Get, "/metrics"),
        (HttpMethod.Get, "/swagger/v1/swagger.json"),
        (HttpMethod.Get, "/swagger/index.html"),
        (HttpMethod.Get, "/no-such-route"),
        (HttpMethod.Options, "/job/done-2k"),
    ];

    private static readonly string[] Accepts =
    [
        "text/html", "image/png", "text/html;q=0", "application/json;q=0", "*/*;q=0", "application/xml",
        "application/problem+json", "*/*", "application/*", "text/*;q=0.1, application/json;q=0", ";;;", "a/b/c", "q=1",
    ];

    private static readonly string[] Encodings =
    [
        "gzip", "gzip, deflate", "gzip;q=0", "identity;q=0", "*;q=0", "identity;q=0, *;q=0", "br", "gzip;q=abc",
        "x-unknown", ",,,", "gzip;q=1.5", "GZIP",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=", "application/json; charset=ebcdic",
        "application/x-www-form-urlencoded", "garbage", "application/json;;", "*/*",
    ];

    private static readonly string[] Prefers =
    [
        "wait=1", "wait=0", "wait=-1", "wait=abc", "wait=99999999999999999999", "wait=\"5\"", "wait", "respond-async, wait=1",
        "handling=strict", "wait=1.5", "WAIT=1", ";;", "wait=1, wait=2",
    ];

    private static readonly string[] ETags =
    [
        "*", "W/\"x\"", "\"x\"", "garbage", "\"unterminated", "\"a\", \"b\"", ",", "W/", "\"" + new string('e', 4000) + "\"",
    ];

    [Fact]
    public async Task RandomHeadersOnEveryRoute_NeverAServerError()
    {
        var random = new Random(20261203);
        var plans = Enumerable.Range(0, Requests).Select(_ => Plan(random)).ToArray();
        var statuses = new HttpStatusCode[plans.Length];
        using var client = Gateway.CreateClient(null);

        await Parallel.ForAsync(0, plans.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancel) =>
        {
            using var request = plans[i].Build();
            using var response = await client.SendAsync(request, cancel);
            await response.Content.ReadAsByteArrayAsync(cancel);
            statuses[i] = response.StatusCode;
        });

        var errors = statuses.Select((status, i) => (status, i)).Where(x => (int)x.status >= 500).ToArray();
        Assert.True(errors.Length == 0, $"{errors.Length} server errors, first: {plans[errors.FirstOrDefault().i]} -> {errors.FirstOrDefault().status}");

        // The fuzz reached the interesting answers, not just one kind of refusal.
        foreach (var expected in new[] { HttpStatusCode.OK, HttpStatusCode.NotModified, HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized,
                     HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed })
        {
            Assert.Contains(expected, statuses);
        }
    }

    private static RequestPlan Plan(Random random)
    {
        var (method, path) = Routes[random.Next(Routes.Length)];
        string? Pick(string[] values) => random.Next(3) == 0 ? null : values[random.Next(values.Length)];
        var key = random.Next(6) switch
        {
            0 => null,
            1 => "guess-" + random.NextInt64(),
            2 => GatewayFactory.AdminKey,
            3 => GatewayFactory.TeamCKey,
            _ => GatewayFactory.TeamAKey,
        };
        return new RequestPlan(method, path, key, Pick(Accepts), Pick(Encodings), Pick(ContentTypes), Pick(Prefers), Pick(ETags),
            random.Next(4) == 0);
    }

    private sealed record RequestPlan(
        HttpMethod Method, string Path, string? Key, string? Accept, string? AcceptEncoding, string? ContentType, string? Prefer, string? IfNoneMatch, bool WithBody)
    {
        public HttpRequestMessage Build()
        {
            var request = new HttpRequestMessage(Method, Path);
            if (Key is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Key);
            }

            Add(request, "Accept", Accept);
            Add(request, "Accept-Encoding", AcceptEncoding);
            Add(request, "Prefer", Prefer);
            Add(request, "If-None-Match", IfNoneMatch);
            if (WithBody || ContentType is not null)
            {
                request.Content = new ByteArrayContent(WithBody ? Encoding.UTF8.GetBytes("{\"status\":\"Completed\",\"job_id\":\"x\"}") : []);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType ?? "application/json");
            }

            return request;
        }

        private static void Add(HttpRequestMessage request, string name, string? value)
        {
            if (value is not null)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        public override string ToString() =>
            $"{Method} {Path} key={(Key is null ? "none" : Key[..4] + "…")} Accept='{Accept}' Accept-Encoding='{AcceptEncoding}' " +
            $"Content-Type='{ContentType}' Prefer='{Prefer}' If-None-Match='{IfNoneMatch?[..Math.Min(IfNoneMatch.Length, 20)]}' body={WithBody}";
    }
}
