using System.Net;
using Gateway.Tests.Infrastructure;
using Gateway.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Redis;

/// <summary>
/// Every key and channel the gateway creates carries the configured instance prefix, whichever feature made it: a
/// Redis shared with other applications (or another deployment) is never written outside the gateway's own names.
/// </summary>
public sealed class KeyspaceTests : PrivateRedisGatewayTest
{
    private const string Prefix = "keyspace-test:";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Cache:InstanceName"] = Prefix,
        ["Teams:team-a:UpstreamCallsPerDay"] = "1000",

        // Long enough for the running answer's key to outlive the test.
        ["Jobs:PendingFreshness"] = "00:00:30",
    };

    [Fact]
    public async Task EntriesLeasesRunningAnswersQuotasUsageAndTheCensus_AllLiveUnderTheInstancePrefix()
    {
        var done = NewId("done-");
        var pending = NewId("pending-");
        foreach (var id in new[] { done, done, pending, pending })
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Gateway.Services.GetRequiredService<UsageLedger>().FlushAsync();

        // What each feature writes, so the test fails if one of them stops writing rather than passing on fewer keys.
        string[] kinds = ["job:v2:", "running:", "quota:", "usage:m:", "usage:h:", "usage:latency-m:", "replicas:", "replicas:activity:"];
        string[] keys = [];
        await Eventually.Until(async () =>
        {
            keys = Lines(await Redis.SendAsync("KEYS", "*"));
            return kinds.All(kind => keys.Any(key => key.Contains(kind, StringComparison.Ordinal)));
        }, TimeSpan.FromSeconds(10), () => "every feature has written its key; found " + string.Join(", ", keys));

        Assert.All(keys, key => Assert.StartsWith(Prefix, key, StringComparison.Ordinal));
        // Less the client library's own configuration-change channel, which every StackExchange.Redis client shares.
        var channels = Lines(await Redis.SendAsync("PUBSUB", "CHANNELS", "*")).Where(static c => c != "__Booksleeve_MasterChanged").ToArray();
        Assert.NotEmpty(channels);
        Assert.All(channels, channel => Assert.StartsWith(Prefix, channel, StringComparison.Ordinal));
    }

    // A RESP array of bulk strings: "*2", "$5", "first", "$6", "second".
    private static string[] Lines(string reply) =>
        reply.Split("\r\n").Where(static (line, index) => index > 0 && !line.StartsWith('$')).ToArray();
}
