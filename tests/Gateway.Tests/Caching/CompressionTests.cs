using System.IO.Compression;
using System.Net;
using Gateway.Redis;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Caching;

public sealed class CompressionTests : PrivateRedisGatewayTest
{
    [Theory]
    [InlineData("gzip, deflate")]
    [InlineData("br;q=1.0, gzip;q=0.5")]
    [InlineData("*")]
    public async Task GzipClients_GetTheStoredGzipCopy_OnTheMissAndOnHits(string acceptEncoding)
    {
        var id = NewId("done-64k-");
        var expected = await DirectAsync(id);
        for (var i = 0; i < 2; i++)
        {
            using var response = await ReadAsync(id, acceptEncoding);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
            Assert.Contains("Accept-Encoding", response.Headers.Vary);
            var compressed = await response.Content.ReadAsByteArrayAsync(Cancel);
            Assert.True(compressed.Length < expected.Length / 3, $"{compressed.Length} of {expected.Length} bytes");
            Assert.Equal(expected, Gunzip(compressed));
        }

        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    [InlineData("gzip;q=0, deflate")]
    [InlineData("br")]
    public async Task OtherClients_GetTheExactUpstreamBytes(string? acceptEncoding)
    {
        var id = NewId("done-64k-");
        var expected = await DirectAsync(id);
        using (await ReadAsync(id, "gzip"))
        {
        }

        using var response = await ReadAsync(id, acceptEncoding);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync(Cancel));
    }

    [Fact]
    public async Task EachRepresentation_HasItsOwnStrongETag_AndIfNoneMatchUsesIt()
    {
        var id = NewId("done-64k-");
        using var plain = await ReadAsync(id, null);
        using var gzip = await ReadAsync(id, "gzip");
        Assert.NotEqual(plain.Headers.ETag, gzip.Headers.ETag);
        Assert.False(gzip.Headers.ETag!.IsWeak);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        request.Headers.TryAddWithoutValidation("If-None-Match", gzip.Headers.ETag.Tag);
        using var notModified = await Client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Redis_HoldsTheCompressedCopy_AndAnotherReplicaServesBothForms()
    {
        var id = NewId("done-1m-");
        var expected = await DirectAsync(id);
        using (await ReadAsync(id, null))
        {
        }

        var prefix = Gateway.Services.GetRequiredService<IOptions<RedisOptions>>().Value.InstanceName;
        var key = Gateway.Services.GetRequiredService<RedisKeys>().StoredJob(id).ToString();
        var stored = long.Parse((await Redis.SendAsync("HSTRLEN", key, "data"))[1..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stored, 1, expected.Length / 3);

        await using var replica = new GatewayFactory(Upstream.BaseAddress, Redis.ConnectionString,
            new Dictionary<string, string?> { ["Cache:InstanceName"] = prefix });
        using var client = replica.CreateClient();
        using var plain = await client.GetAsync("/job/" + id, Cancel);
        Assert.Equal("Gateway; hit", plain.Header("Cache-Status"));
        Assert.Equal(expected, await plain.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task SmallOrRunningJobs_AreNeverCompressed()
    {
        using var failed = await ReadAsync(NewId("failed-"), "gzip");
        using var pending = await ReadAsync(NewId("pending-"), "gzip");
        Assert.Empty(failed.Content.Headers.ContentEncoding);
        Assert.Empty(pending.Content.Headers.ContentEncoding);
        Assert.Empty(pending.Headers.Vary);
    }

    private async Task<HttpResponseMessage> ReadAsync(string id, string? acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        return await Client.SendAsync(request, Cancel);
    }

    private async Task<byte[]> DirectAsync(string id)
    {
        using var direct = new HttpClient { BaseAddress = Upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        var body = await direct.GetByteArrayAsync("job/" + id, Cancel);
        Upstream.Requests.Clear();
        return body;
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
