using Gateway.Jobs;

namespace Gateway.Tests.Jobs;

/// <summary>Which Accept-Encoding values get the stored gzip copy (RFC 9110 section 12.5.3).</summary>
public sealed class AcceptEncodingTests
{
    [Theory]
    [InlineData("gzip, deflate", true)]
    [InlineData("GZIP", true)]
    [InlineData("deflate, gzip;q=0.5", true)]
    [InlineData("*", true)]
    [InlineData("br, *;q=0.1", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip;q=0.000", false)]
    [InlineData("gzip;q=0, *", false)]        // "*" speaks only for codings not named
    [InlineData("*, gzip;q=0", false)]
    [InlineData("*;q=0", false)]
    [InlineData("identity", false)]
    [InlineData("", false)]
    [InlineData("gzip;q=0, gzip", true)]
    public void GzipIsChosen_OnlyWhereTheCallerAcceptsIt(string value, bool gzip) =>
        Assert.Equal(gzip, AcceptEncoding.AllowsGzip(value));
}
