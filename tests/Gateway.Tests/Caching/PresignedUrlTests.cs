using Gateway.Caching;

namespace Gateway.Tests.Caching;

public sealed class PresignedUrlTests
{
    [Theory]
    [InlineData("https://b.s3.amazonaws.com/x.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261128T100000Z&X-Amz-Expires=3600&X-Amz-Signature=ab", "2026-11-28T11:00:00Z")]
    [InlineData("https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20261128T100000Z&X-Goog-Expires=900&X-Goog-Signature=cd", "2026-11-28T10:15:00Z")]
    [InlineData("https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-11-28T12%3A30%3A00Z&sr=b&sp=r&sig=ef%3D", "2026-11-28T12:30:00Z")]
    [InlineData("https://b.s3.amazonaws.com/x?AWSAccessKeyId=AK&Expires=1795860000&Signature=gh", "2026-11-28T10:00:00Z")]
    public void SignedUrl_ExpiryIsRead(string url, string expected)
    {
        Assert.Equal(PresignedUrl.Kind.Expires, PresignedUrl.TryGetExpiry(url, out var expiry));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), expiry);
    }

    [Theory]
    [InlineData("https://b.s3.amazonaws.com/x?X-Amz-Signature=ab&X-Amz-Expires=3600")]
    [InlineData("https://b.s3.amazonaws.com/x?X-Amz-Date=yesterday&X-Amz-Expires=60&X-Amz-Signature=a")]
    [InlineData("https://acct.blob.core.windows.net/c/b?sig=abc")]
    public void SignedUrl_WithUnreadableExpiry_IsReportedAsSuch(string url) =>
        Assert.Equal(PresignedUrl.Kind.Unparsed, PresignedUrl.TryGetExpiry(url, out _));

    [Theory]
    [InlineData("https://studio.reducto.ai/job/04fe7cf4-1f40-4a03-b1a0-460bd8d6a89a")]
    [InlineData("https://example.com/search?q=use&se=x")]
    [InlineData("What? No URL here=1")]
    public void PlainUrlsAndText_AreNotSigned(string text) =>
        Assert.Equal(PresignedUrl.Kind.NotSigned, PresignedUrl.TryGetExpiry(text, out _));
}
