using System.Text;
using Gateway.Caching;
using Gateway.Jobs;

namespace Gateway.Tests.Caching;

public sealed class JobBodyReadingTests
{
    [Theory]
    [InlineData("{\"status\":\"Completed\"}", "Completed")]
    [InlineData("{\"progress\":{\"nested\":{\"status\":\"Pending\"}},\"status\":\"Failed\"}", "Failed")]
    [InlineData("{\"result\":{\"status\":\"Completed\"}}", null)]
    [InlineData("[\"status\",\"Completed\"]", null)]
    [InlineData("{\"status\":1}", null)]
    [InlineData("not json", null)]
    [InlineData("", null)]
    public void Status_IsTheTopLevelField(string json, string? expected) =>
        Assert.Equal(expected, JobStatus.Read(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Status_ReaderStopsAtTheField_WithoutReadingTheRest()
    {
        // Everything after the status is garbage: a reader that went on would fail.
        var body = Encoding.UTF8.GetBytes("{\"status\":\"Completed\",\"result\": <<<not json at all");
        Assert.Equal("Completed", JobStatus.Read(body));
        Assert.Null(JobBodyFacts.Read(body));
    }

    [Theory]
    [InlineData("Completed", true)]
    [InlineData("Failed", true)]
    [InlineData("Pending", false)]
    [InlineData("Idle", false)]
    [InlineData("Cancelled", false)]
    [InlineData("completed", false)]
    [InlineData(null, false)]
    public void OnlyCompletedAndFailedAreTerminal(string? status, bool terminal) =>
        Assert.Equal(terminal, JobStatus.IsTerminal(status));

    [Fact]
    public void Facts_FindCreatedAtAndTheEarliestUrlAnywhereInTheBody()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"status":"Completed","created_at":"2026-11-28T09:00:00Z","result":{"pdf_url":"https://b.s3.amazonaws.com/x?X-Amz-Date=20261128T100000Z&X-Amz-Expires=3600&X-Amz-Signature=a",
             "chunks":[{"blocks":[{"image_url":"https://b.s3.amazonaws.com/i?X-Amz-Date=20261128T100000Z\u0026X-Amz-Expires=600\u0026X-Amz-Signature=b"}]}]}}
            """);
        var facts = JobBodyFacts.Read(body);
        Assert.NotNull(facts);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero), facts.CreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 10, 10, 0, TimeSpan.Zero), facts.EarliestUrlExpiry);
        Assert.False(facts.HasUnparsedSignedUrl);
    }

    [Fact]
    public void Lifetime_IsTheShortestOfCeilingRetentionAndUrlExpiryLessMargin()
    {
        var options = new CacheOptions { MaxTtl = TimeSpan.FromHours(1), UrlExpiryMargin = TimeSpan.FromMinutes(1) };
        var now = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromHours(1), CacheLifetime.Compute(new JobBodyFacts(null, null, false), now, options));
        Assert.Equal(TimeSpan.FromMinutes(30), CacheLifetime.Compute(new JobBodyFacts(now.AddHours(-11.5), null, false), now, options));
        Assert.Equal(TimeSpan.FromMinutes(9), CacheLifetime.Compute(new JobBodyFacts(now, now.AddMinutes(10), false), now, options));
        Assert.Equal(options.UnparsedUrlTtl, CacheLifetime.Compute(new JobBodyFacts(null, null, true), now, options));
        Assert.True(CacheLifetime.Compute(new JobBodyFacts(null, now.AddSeconds(30), false), now, options) <= TimeSpan.Zero);
    }

    [Fact]
    public void CachedResponse_RoundTripsWithoutChangingABody()
    {
        var body = Encoding.UTF8.GetBytes("{\"status\":\"Completed\",\"x\":\"\u00e9\"}");
        var entry = new CachedResponse("application/json; charset=utf-8", CachedResponse.ComputeETag(body), body, DateTimeOffset.UnixEpoch.AddDays(20000));
        var copy = CachedResponse.Deserialize(entry.Serialize());

        Assert.NotNull(copy);
        Assert.Equal(body, copy.Body.ToArray());
        Assert.Equal(entry.ETag, copy.ETag);
        Assert.Equal(entry.ContentType, copy.ContentType);
        Assert.Equal(entry.ExpiresAt, copy.ExpiresAt);
        Assert.Null(CachedResponse.Deserialize([9, 9, 9]));
    }

    [Fact]
    public void CachedResponse_StoresLargeBodiesCompressed_AndReadsThemBackExactly()
    {
        var body = Encoding.UTF8.GetBytes("{\"status\":\"Completed\",\"text\":\"" + string.Concat(Enumerable.Repeat("lorem ipsum ", 2000)) + "\"}");
        var entry = CachedResponse.Create("application/json", CachedResponse.ComputeETag(body), body, DateTimeOffset.UnixEpoch.AddDays(20000), owner: null);
        var stored = entry.Serialize();
        var copy = CachedResponse.Deserialize(stored);

        Assert.True(stored.Length < body.Length / 10, $"{stored.Length} of {body.Length}");
        Assert.NotNull(copy);
        Assert.Equal(body, copy.Body.ToArray());
        Assert.Equal(entry.GzipBody.ToArray(), copy.GzipBody.ToArray());
        Assert.Equal(entry.GzipETag, copy.GzipETag);
        Assert.NotEqual(entry.ETag, entry.GzipETag);
    }
}
