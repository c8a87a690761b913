using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Faults;

/// <summary>
/// A few thousand random and hostile requests, as raw bytes, against the gateway on a real Kestrel socket.
/// Seeded, so a failure can be replayed.
/// </summary>
public sealed partial class HostileInputTests : IClassFixture<HostileInputTests.LimitedGateway>
{
    private const int Requests = 3000;
    private readonly Uri _address;
    private readonly StandInServer _upstream;

    public HostileInputTests(LimitedGateway fixture)
    {
        _address = fixture.Address;
        _upstream = fixture.Upstream;
        _upstream.Requests.Clear();
    }

    public sealed class LimitedGateway : KestrelGateway
    {
        // Below Kestrel's default of 8 KB, so the 414 below proves the configured limits are applied.
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kestrel:Limits:MaxRequestLineSize"] = "4096",
            ["Kestrel:Limits:MaxRequestHeadersTotalSize"] = "32768",
        };
    }

    [Fact]
    public async Task ThousandsOfHostileRequests_NoServerError_NoInvalidIdUpstream_StillHealthy()
    {
        var random = new Random(20261128);
        var requests = Enumerable.Range(0, Requests).Select(_ => HostileRequest(random)).ToArray();
        var statuses = new int[requests.Length];
        await Parallel.ForAsync(0, requests.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancel) =>
            statuses[i] = await SendAsync(requests[i], cancel));

        var serverErrors = statuses.Select((status, i) => (status, i)).Where(x => x.status >= 500).ToArray();
        Assert.True(serverErrors.Length == 0,
            $"{serverErrors.Length} server errors, first: {Describe(requests[serverErrors.FirstOrDefault().i])} -> {serverErrors.FirstOrDefault().status}");
        Assert.Contains(statuses, s => s == 400);
        Assert.Contains(statuses, s => s == 401);
        Assert.Contains(statuses, s => s == 404);
        Assert.All(_upstream.Requests.All, r => Assert.Matches(ValidUpstreamPath(), r.Path));

        using var client = new HttpClient { BaseAddress = _address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
        using var health = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        using var job = await client.GetAsync("/job/done-2k", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, job.StatusCode);
    }

    [Fact]
    public async Task OversizeHeaderAndBody_AreRefusedWithoutReachingTheUpstream()
    {
        var hugeHeader = Encoding.Latin1.GetBytes($"GET /job/done-2k HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\nConnection: close\r\n\r\n");
        Assert.Equal(431, await SendAsync(hugeHeader, TestContext.Current.CancellationToken));

        var body = new string('b', 10_000);
        var withBody = Encoding.Latin1.GetBytes($"GET /job/done-2k HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {GatewayFactory.TeamAKey}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        Assert.Equal(413, await SendAsync(withBody, TestContext.Current.CancellationToken));

        var longUrl = Encoding.Latin1.GetBytes($"GET /job/{new string('c', 5_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(414, await SendAsync(longUrl, TestContext.Current.CancellationToken));
        Assert.Equal(0, _upstream.Requests.Count);
    }

    private static byte[] HostileRequest(Random random)
    {
        var target = random.Next(6) switch
        {
            0 => "/job/" + RandomId(random),
            1 => "/job/" + PercentEncoded(random),
            2 => "/job/" + string.Join('/', Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3) == 0 ? ".." : RandomId(random))),
            3 => "/job/" + new string('a', random.Next(100, 3000)),
            4 => "/job/%2e%2e/" + RandomId(random) + (random.Next(2) == 0 ? "?x=" + PercentEncoded(random) : string.Empty),
            _ => "/" + PercentEncoded(random),
        };
        var builder = new StringBuilder().Append(random.Next(10) == 0 ? "DELETE" : "GET").Append(' ').Append(target).Append(" HTTP/1.1\r\nHost: x\r\n");
        for (var i = random.Next(4); i > 0; i--)
        {
            builder.Append("X-").Append(random.Next(1000)).Append(": ").Append(RawValue(random)).Append("\r\n");
        }

        // Most requests carry a valid key so they reach id validation; the rest test the key check itself.
        builder.Append("Authorization: Bearer ").Append(random.Next(4) == 0 ? "guess-" + random.NextInt64() : GatewayFactory.TeamAKey).Append("\r\n");

        builder.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(builder.ToString());
    }

    private static string RandomId(Random random)
    {
        const string alphabet = "abcXYZ019_-.~!$&'()*+,;=:@ ";
        return new string(Enumerable.Range(0, random.Next(1, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
    }

    private static string PercentEncoded(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(3) == 0 ? ((char)random.Next('a', 'z')).ToString() : "%" + random.Next(256).ToString("X2")));

    private static string RawValue(Random random) =>
        new(Enumerable.Range(0, random.Next(0, 300)).Select(_ => (char)random.Next(random.Next(8) == 0 ? 0 : 0x20, 0xFF)).ToArray());

    private async Task<int> SendAsync(byte[] request, CancellationToken cancel)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_address.Host, _address.Port, cancel);
        await using var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request, cancel);
        }
        catch (IOException)
        {
            // The server may refuse and close before the whole request is written; its answer is still readable.
        }

        using var reader = new StreamReader(stream, Encoding.Latin1);
        var line = await reader.ReadLineAsync(cancel) ?? string.Empty;
        var parts = line.Split(' ');
        return parts.Length > 1 && int.TryParse(parts[1], out var status) ? status : 0;
    }

    private static string Describe(byte[] request) => Encoding.Latin1.GetString(request).Split("\r\n")[0];

    [GeneratedRegex("^/job/[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex ValidUpstreamPath();
}
