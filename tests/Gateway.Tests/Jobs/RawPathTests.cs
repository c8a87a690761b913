using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Jobs;

/// <summary>Hostile request targets sent as raw bytes to the gateway on a real Kestrel socket.</summary>
public sealed partial class RawPathTests : IClassFixture<KestrelGateway>
{
    private readonly KestrelGateway _fixture;

    public RawPathTests(KestrelGateway fixture)
    {
        _fixture = fixture;
        _fixture.Upstream.Requests.Clear();
    }

    [Theory]
    [InlineData("/job/..")]
    [InlineData("/job/%2e%2e")]
    [InlineData("/job/%2E%2E")]
    [InlineData("/job/.")]
    [InlineData("/job/../jobs")]
    [InlineData("/job/x/../../version")]
    [InlineData("/job/%2e%2e/version")]
    public async Task DotSegments_AreResolvedBeforeRouting_AndNeverReachTheUpstream(string target)
    {
        // Kestrel removes dot segments first: "/job/../jobs" is a request for "/jobs" (a forwarded route), never
        // a job id of "..". What must hold is that no dot segment, raw or encoded, travels upstream.
        var status = await RawHttpConnection.GetStatusAsync(_fixture.Address, target);
        Assert.NotEqual(0, status);
        Assert.True(status < 500, $"{target} answered {status}");
        Assert.All(_fixture.Upstream.Requests.All, r =>
        {
            Assert.DoesNotContain("..", r.Path, StringComparison.Ordinal);
            Assert.DoesNotContain("%2e", r.Path, StringComparison.OrdinalIgnoreCase);
            Assert.False(r.Path.StartsWith("/job/", StringComparison.Ordinal) && !JobPath().IsMatch(r.Path), r.Path);
        });
    }

    [System.Text.RegularExpressions.GeneratedRegex("^/job/[A-Za-z0-9_-]{1,128}$")]
    private static partial System.Text.RegularExpressions.Regex JobPath();

    [Theory]
    [InlineData("/job/a%20b")]
    [InlineData("/job/x%2Fy")]
    [InlineData("/job/%00abc")]
    [InlineData("/job/a%0Ab")]
    [InlineData("/job/%FF%FE")]
    [InlineData("/job/a;b")]
    public async Task MalformedIds_OnTheWire_Get400AndNoUpstreamRequest(string target)
    {
        Assert.Equal(400, await RawHttpConnection.GetStatusAsync(_fixture.Address, target));
        Assert.Equal(0, _fixture.Upstream.Requests.Count);
    }

    [Fact]
    public async Task ValidId_OnTheWire_ReachesTheUpstream()
    {
        Assert.Equal(200, await RawHttpConnection.GetStatusAsync(_fixture.Address, "/job/done-2k"));
        Assert.Equal(1, _fixture.Upstream.Requests.CountForJob("done-2k"));
    }
}
