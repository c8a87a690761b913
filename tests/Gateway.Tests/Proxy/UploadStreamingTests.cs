using System.Net;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Proxy;

public sealed class UploadStreamingTests(ITestOutputHelper output)
{
    private const long UploadBytes = 100L * 1024 * 1024;

    [Fact]
    public async Task HundredMegabyteUpload_IsStreamedThrough_WithoutTheGatewayHoldingIt()
    {
        var content = new StreamContent(new PatternStream(UploadBytes), 64 * 1024);
        content.Headers.ContentType = new("application/pdf");
        content.Headers.ContentLength = UploadBytes;
        var uploaded = await UploadAsync(content, reuse: false);

        Assert.Equal(UploadBytes, uploaded);
    }

    // A team that reuses jobs has each upload's file part hashed as it passes: that must not hold it either.
    [Fact]
    public async Task HundredMegabyteFormUpload_OfATeamThatReusesJobs_IsHashedAsItStreams()
    {
        // A form just under the 100 MiB request limit (one of 100 MiB less a KiB, sent chunked, was refused 413 whether
        // or not its team reuses jobs), so the file is 99 MiB.
        const long fileBytes = UploadBytes - 1024 * 1024;
        var file = new StreamContent(new PatternStream(fileBytes), 64 * 1024);
        file.Headers.ContentLength = fileBytes;
        var content = new MultipartFormDataContent { { file, "file", "big.pdf" } };
        var uploaded = await UploadAsync(content, reuse: true);

        Assert.InRange(uploaded, fileBytes, UploadBytes);
    }

    /// <returns>The bytes the stand-in received.</returns>
    private async Task<long> UploadAsync(HttpContent content, bool reuse)
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var upstream = await StandInServer.StartAsync(cancellationToken: cancel);
        await using var gateway = GatewayProcess.Start(new Dictionary<string, string>
        {
            ["Upstream__BaseUrl"] = upstream.BaseAddress.ToString(),
            ["Upstream__ApiKey"] = GatewayFactory.ServerKey,
            ["Auth__ClientKeys__team-a"] = GatewayFactory.TeamAKey,
            ["Teams__team-a__ReuseCompletedJobs"] = reuse ? "true" : "false",
        });
        using var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.TeamAKey);
        using (var warm = await client.GetAsync("/version", cancel))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var before = gateway.PeakResidentBytes;
        using (content)
        {
            using var response = await client.PostAsync("/upload", content, cancel);
            var after = gateway.PeakResidentBytes;

            output.WriteLine($"gateway peak RSS: {before / 1048576} MiB before, {after / 1048576} MiB after a {UploadBytes / 1048576} MiB (or 99 MiB form) upload (reuse {(reuse ? "on" : "off")})");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("reducto://", await response.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);
            Assert.True(after - before < 40L * 1024 * 1024, $"peak RSS grew by {(after - before) / 1048576} MiB during the upload");
        }

        return upstream.Requests.UploadedBytes;
    }

    /// <summary>100 MB that never exist in memory at once, on the test's side either.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = (byte)((_position + i) % 251);
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
