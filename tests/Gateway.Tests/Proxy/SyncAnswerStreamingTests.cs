using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Proxy;

/// <summary>
/// A synchronous answer carries its job_id last, so finding the owner of what it created means reading all of it.
/// The gateway must do that as the bytes pass, never by holding the answer: a 200 MB <c>POST /parse</c> answer leaves
/// its peak RSS where it was, reaches the caller whole, and still makes the job team A's and nobody else's.
/// </summary>
public sealed partial class SyncAnswerStreamingTests(ITestOutputHelper output)
{
    private const long AnswerBytes = 200L * 1000 * 1000;
    private const int TailBytes = 4096;

    [Fact]
    public async Task TwoHundredMegabyteParseAnswer_IsStreamedThrough_AndItsJobIsRecordedAsTeamAs()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["Auth__ClientKeys__team-b"] = GatewayFactory.TeamBKey,
            ["Jobs__UnownedJobs"] = "Deny",
        });
        using var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)), Timeout = TimeSpan.FromMinutes(3) };
        using (var warm = await client.SendAsync(Authorized(HttpMethod.Get, "/version", GatewayFactory.TeamAKey), cancel))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var before = gateway.PeakResidentBytes;
        var parse = Authorized(HttpMethod.Post, "/parse", GatewayFactory.TeamAKey);
        parse.Content = new StringContent("{\"input\":\"https://example.com/big.pdf\"}", Encoding.UTF8, "application/json");
        parse.Headers.Add("x-standin-result-bytes", AnswerBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await client.SendAsync(parse, HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (received, tail) = await DrainAsync(await response.Content.ReadAsStreamAsync(cancel), cancel);
        var after = gateway.PeakResidentBytes;

        output.WriteLine($"gateway peak RSS: {before / 1048576} MiB before, {after / 1048576} MiB after a {received / 1048576} MiB /parse answer");
        Assert.Equal(AnswerBytes, received);
        Assert.True(after - before < 40L * 1024 * 1024, $"peak RSS grew by {(after - before) / 1048576} MiB during the answer");

        // The id the caller read last is the one the stand-in created, and the ledger has it as team A's.
        var job = JobIdAtTheEnd().Match(tail).Groups["id"].Value;
        Assert.Equal(1, upstream.Creations.CountFor("/parse"));
        Assert.NotNull(upstream.Creations.Job(job));
        using (var own = await client.SendAsync(Authorized(HttpMethod.Get, "/job/" + job, GatewayFactory.TeamAKey), cancel))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        var reads = upstream.Requests.CountForJob(job);
        using (var refused = await client.SendAsync(Authorized(HttpMethod.Get, "/job/" + job, GatewayFactory.TeamBKey), cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        Assert.Equal(reads, upstream.Requests.CountForJob(job));
    }

    private static HttpRequestMessage Authorized(HttpMethod method, string path, string key)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", key);
        return request;
    }

    /// <summary>Reads the whole body without keeping it: its length, and its last few bytes as text.</summary>
    private static async Task<(long Received, string Tail)> DrainAsync(Stream body, CancellationToken cancel)
    {
        var buffer = new byte[64 * 1024];
        var tail = new byte[TailBytes];
        long received = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancel)) > 0)
        {
            var keep = Math.Min(read, TailBytes);
            Buffer.BlockCopy(tail, keep, tail, 0, TailBytes - keep);
            Buffer.BlockCopy(buffer, read - keep, tail, TailBytes - keep, keep);
            received += read;
        }

        return (received, Encoding.UTF8.GetString(tail));
    }

    [GeneratedRegex("\"job_id\"\\s*:\\s*\"(?<id>[^\"]+)\"\\s*}\\s*$")]
    private static partial Regex JobIdAtTheEnd();
}
