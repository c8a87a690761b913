using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Jobs;

public sealed class JobEndpointTests(RedisServer redis) : GatewayTest
{
    protected override string? RedisConnectionString => redis.ConnectionString;

    // Retries of 502/503/504 have their own tests; here every gateway read is exactly one upstream request.
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Upstream:Retries"] = "0" };

    [Theory]
    [InlineData("done-2k")]
    [InlineData("done-64k")]
    [InlineData("done-url-x")]
    [InlineData("failed-x")]
    [InlineData("pending-x")]
    public async Task Response_IsTheUpstreamsBytesStatusAndContentType(string id)
    {
        var direct = await ReadDirectAsync(id);
        using var viaGateway = await GetJobAsync(id);

        Assert.Equal(direct.Status, viaGateway.StatusCode);
        Assert.Equal(direct.ContentType, viaGateway.Content.Headers.ContentType?.ToString());
        Assert.Equal(direct.Body, await viaGateway.Content.ReadAsByteArrayAsync(Cancel));
    }

    [Fact]
    public async Task FiveMegabyteBody_ComesBackByteIdentical_FromUpstreamAndFromCache()
    {
        var direct = await ReadDirectAsync("done-5m");
        Assert.InRange(direct.Body.Length, 5_000_000, 5_400_000);

        using var miss = await GetJobAsync("done-5m");
        using var hit = await GetJobAsync("done-5m");

        Assert.Equal(direct.Body, await miss.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(direct.Body, await hit.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal("Gateway; hit", hit.Header("Cache-Status"));
    }

    [Fact]
    public async Task UnknownFieldsAndFormatting_SurviveUntouched()
    {
        var id = NewId("scripted-");
        const string body = "{ \"status\" : \"Completed\",\n  \"future_field\": {\"n\": 1.50, \"u\": \"\\u00e9\"},\"result\":null }";
        Upstream.Script.Respond(id, 200, body, "application/json; charset=utf-8");

        foreach (var _ in new[] { "miss", "hit" })
        {
            using var response = await GetJobAsync(id);
            Assert.Equal(body, await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        }
    }

    [Theory]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(410)]
    [InlineData(422)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task UpstreamError_PassesThroughWithItsStatusAndBody_AndIsNotStored(int status)
    {
        var id = $"status-{status}-" + Guid.NewGuid().ToString("N");
        var direct = await ReadDirectAsync(id);

        using var first = await GetJobAsync(id);
        using var second = await GetJobAsync(id);

        Assert.Equal(status, (int)second.StatusCode);
        Assert.Equal(direct.Body, await second.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal(direct.ContentType, second.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-store", second.Headers.CacheControl?.ToString());
        Assert.Equal(3, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task Head_AnswersLikeGetWithoutABody()
    {
        var id = NewId("done-");
        using var get = await GetJobAsync(id);
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/job/" + id), Cancel);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal("Gateway; hit", head.Header("Cache-Status"));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Cancel));
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task OtherMethods_Get405_AndNoUpstreamRequest(string method)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/job/done-2k"), Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Theory]
    [InlineData("a%20b")]
    [InlineData("x%2Fy")]
    [InlineData("x%2fy")]
    [InlineData("a.b")]
    [InlineData("a+b")]
    [InlineData("%01abc")]
    [InlineData("tab%09id")]
    [InlineData("%C3%A9t%C3%A9")]
    [InlineData("a%3Fb")]
    [InlineData("a%23b")]
    public async Task InvalidJobId_Gets400ProblemNamingTheRule_AndNoUpstreamRequest(string rawId)
    {
        using var response = await Client.GetAsync("/job/" + rawId, Cancel);
        await AssertInvalidIdProblem(response);
        Assert.Equal(0, Upstream.Requests.Count);
    }

    [Fact]
    public async Task JobIdOf129Characters_Gets400_And128IsAccepted()
    {
        using var tooLong = await Client.GetAsync("/job/" + new string('a', 129), Cancel);
        await AssertInvalidIdProblem(tooLong);
        Assert.Equal(0, Upstream.Requests.Count);

        using var longest = await Client.GetAsync("/job/" + new string('a', 128), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, longest.StatusCode);
        Assert.Equal(1, Upstream.Requests.Count);
    }

    private static async Task AssertInvalidIdProblem(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("A-Z, a-z, 0-9", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("^[A-Za-z0-9_-]{1,128}$", problem.RootElement.GetProperty("pattern").GetString());
    }

    private async Task<(HttpStatusCode Status, string? ContentType, byte[] Body)> ReadDirectAsync(string id)
    {
        using var direct = new HttpClient { BaseAddress = Upstream.BaseAddress };
        direct.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFactory.ServerKey);
        using var response = await direct.GetAsync("job/" + id, Cancel);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync(Cancel));
    }
}
