using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Direct;

/// <summary>
/// Seeded pipelines of every kind of request the direct path answers, hands to a turn or hands off, cut into writes
/// at random points, sent to both gateways: each answer must be the Kestrel path's, in order, with nothing after.
/// A desynchronised connection (a head read twice, a body taken for a head, an answer out of place) fails here.
/// </summary>
public sealed class DirectPipelineFuzzTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    private const int Pipelines = 24;
    private const int RequestsPerPipeline = 12;

    [Fact]
    public async Task RandomPipelines_CutAtRandomPoints_GetTheKestrelPathsAnswers_InOrder()
    {
        var hits = new[] { "done-2k-" + Guid.NewGuid().ToString("N"), "done-64k-" + Guid.NewGuid().ToString("N") };
        foreach (var id in hits)
        {
            await fixture.WarmAsync(id);
        }

        var etag = await ETagAsync(hits[0]);
        for (var seed = 0; seed < Pipelines; seed++)
        {
            var random = new Random(seed);
            var steps = Enumerable.Range(0, RequestsPerPipeline).Select(_ => Step(random, hits, etag, seed)).ToArray();
            var bytes = Encoding.Latin1.GetBytes(string.Concat(steps.Select(static step => step.Request)));
            var cuts = Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.Next(1, bytes.Length)).Distinct().Order().ToArray();
            var answers = new Dictionary<GatewayHost, List<WireResponse>>();
            foreach (var gateway in fixture.Both)
            {
                await using var connection = await gateway.ConnectAsync();
                await connection.SendInPiecesAsync(bytes, cuts);
                answers[gateway] = [];
                foreach (var step in steps)
                {
                    answers[gateway].Add(await connection.ReadResponseAsync(step.Head));
                }

                Assert.Equal(0, await connection.StrayBytesAsync());
            }

            for (var i = 0; i < steps.Length; i++)
            {
                var because = $"seed {seed}, request {i + 1} ({steps[i].Name}), cut at [{string.Join(',', cuts)}]";
                Assert.True(answers[fixture.Direct][i].Status < 500, because);
                Parity.AssertSameAnswer(answers[fixture.Reference][i], answers[fixture.Direct][i], because);
            }
        }
    }

    private async Task<string> ETagAsync(string id)
    {
        await using var probe = await fixture.Direct.ConnectAsync();
        await probe.SendAsync(WireConnection.Request("GET", "/job/" + id, GatewayFactory.TeamAKey));
        return (await probe.ReadResponseAsync()).Header("ETag")!;
    }

    // Each a request both gateways answer alike every time: no running jobs (their Age and ttl move), misses of ids
    // unique to the pipeline (a miss on both, then a hit on both).
    private static (string Name, string Request, bool Head) Step(Random random, string[] hits, string etag, int seed)
    {
        var key = GatewayFactory.TeamAKey;
        var hit = hits[random.Next(hits.Length)];
        const string Webhook = "{\"url\":\"https://example.invalid/hook\"}";
        return random.Next(11) switch
        {
            0 => ("hit", WireConnection.Request("GET", "/job/" + hit, key), false),
            1 => ("gzip hit", WireConnection.Request("GET", "/job/" + hit, key, "Accept-Encoding: gzip, deflate"), false),
            2 => ("HEAD", WireConnection.Request("HEAD", "/job/" + hit, key), true),
            3 => ("304", WireConnection.Request("GET", "/job/" + hits[0], key, "If-None-Match: " + etag), false),
            4 => ("unknown key", WireConnection.Request("GET", "/job/" + hit, "not-a-key-of-anyone-0000"), false),
            5 => ("miss", WireConnection.Request("GET", $"/job/done-2k-fuzz-{seed}-{random.Next(3)}", key), false),
            6 => ("invalid id", WireConnection.Request("GET", "/job/bad%2Fid", key), false),
            7 => ("hit with Content-Length: 0", WireConnection.Request("GET", "/job/" + hit, key, "Content-Length: 0"), false),
            8 => ("unknown route", WireConnection.Request("GET", "/nowhere", key), false),
            9 => ("hit with extra fields", WireConnection.Request("GET", "/job/" + hit, key, "User-Agent: fuzz/1", "X-Trace: " + random.Next()), false),
            _ => ("forwarded POST", WireConnection.Request("POST", "/configure_webhook", key, "Content-Type: application/json",
                $"Content-Length: {Webhook.Length}") + Webhook, false),
        };
    }
}
