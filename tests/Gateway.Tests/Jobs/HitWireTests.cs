using System.IO.Compression;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Jobs;

/// <summary>
/// Cache hits on the wire, on one keep-alive connection: bodies written straight to the response pipe in slices
/// (Jobs/JobResponseResult.cs) over 64 KiB pipe blocks (Hosting/PipeBlockPool.cs) must frame exactly, whatever the
/// size, encoding or method, so the next response on the connection starts where the last one ended.
/// </summary>
public sealed class HitWireTests(KestrelGateway fixture) : IClassFixture<KestrelGateway>
{
    private readonly StandInServer _upstream = fixture.Upstream;

    [Fact]
    public async Task OneConnection_ServesEverySizeAndEncoding_ThenHeadAnd304_EachFramedByItsContentLength()
    {
        var id = "done-5m-" + Guid.NewGuid().ToString("N");
        var expected = await UpstreamBytesAsync(id);
        await using var connection = await RawHttpConnection.OpenAsync(fixture.Address);

        await connection.SendAsync(RawHttpConnection.Request("GET", "/job/" + id));
        var miss = await connection.ReadResponseAsync();
        Assert.Equal(expected, miss.Body);

        await connection.SendAsync(RawHttpConnection.Request("GET", "/job/" + id));
        var hit = await connection.ReadResponseAsync();
        Assert.Equal("Gateway; hit", hit.Headers["Cache-Status"]);
        Assert.Equal(expected, hit.Body);

        await connection.SendAsync(RawHttpConnection.Request("GET", "/job/" + id, "Accept-Encoding: gzip"));
        var gzip = await connection.ReadResponseAsync();
        Assert.Equal("gzip", gzip.Headers["Content-Encoding"]);
        Assert.Equal(expected, Gunzip(gzip.Body));

        await connection.SendAsync(RawHttpConnection.Request("HEAD", "/job/" + id));
        var head = await connection.ReadResponseAsync(head: true);
        Assert.Equal(200, head.Status);
        Assert.Equal(expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Headers["Content-Length"]);

        await connection.SendAsync(RawHttpConnection.Request("GET", "/job/" + id, "If-None-Match: " + hit.Headers["ETag"]));
        var notModified = await connection.ReadResponseAsync();
        Assert.Equal(304, notModified.Status);

        var smallId = "done-2k-" + Guid.NewGuid().ToString("N");
        await connection.SendAsync(RawHttpConnection.Request("GET", "/job/" + smallId));
        var small = await connection.ReadResponseAsync();
        Assert.Equal(await UpstreamBytesAsync(smallId), small.Body);
        Assert.Equal(0, await connection.StrayBytesAsync());
        Assert.Equal(2, _upstream.Requests.CountForJob(id)); // the test's own read of the expected bytes, and the miss
    }

    [Fact]
    public async Task PipelinedHits_OfSizesAroundTheSliceAndBlockEdges_ComeBackInOrder_ByteForByte()
    {
        // 64 KiB is a pipe block, 256 KiB a slice; 1 MiB and 5 MiB take several of each.
        var run = "-" + Guid.NewGuid().ToString("N");
        string[] ids = ["done-64k" + run, "done-256k" + run, "done-1m" + run, "done-2k" + run, "done-5m" + run, "done-64k" + run];
        var expected = new Dictionary<string, byte[]>();
        foreach (var id in ids.Distinct())
        {
            expected[id] = await UpstreamBytesAsync(id);
            await using var warm = await RawHttpConnection.OpenAsync(fixture.Address);
            await warm.SendAsync(RawHttpConnection.Request("GET", "/job/" + id));
            await warm.ReadResponseAsync();
        }

        await using var connection = await RawHttpConnection.OpenAsync(fixture.Address);
        await connection.SendAsync([.. ids.SelectMany(id => new[]
        {
            RawHttpConnection.Request("GET", "/job/" + id),
            RawHttpConnection.Request("GET", "/job/" + id, "Accept-Encoding: gzip"),
        })]);

        foreach (var id in ids)
        {
            var identity = await connection.ReadResponseAsync();
            Assert.Equal("Gateway; hit", identity.Headers["Cache-Status"]);
            Assert.Equal(expected[id], identity.Body);
            var gzip = await connection.ReadResponseAsync();
            Assert.Equal(expected[id], gzip.Headers.ContainsKey("Content-Encoding") ? Gunzip(gzip.Body) : gzip.Body);
        }

        Assert.Equal(0, await connection.StrayBytesAsync());
    }

    private async Task<byte[]> UpstreamBytesAsync(string id)
    {
        using var direct = new HttpClient { BaseAddress = _upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        return await direct.GetByteArrayAsync("job/" + id, TestContext.Current.CancellationToken);
    }

    private static byte[] Gunzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }

        return output.ToArray();
    }
}
