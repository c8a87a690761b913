using System.Diagnostics;
using System.Net;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary>
/// What each creation leaves behind: counts per route (in process and in the stats), its raw config and
/// <c>Idempotency-Key</c>, and that a slow creation is created, and counted, before it is answered.
/// </summary>
public sealed class StandInCreationTests : StandInTest
{
    [Fact]
    public async Task Creations_AreCountedPerRoute_InProcessAndInTheStats()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync("/parse_async");
        }

        await CreateAsync("/classify");
        using (await PostJsonAsync("/upload", ""))
        using (await GetJsonAsync("/job/done-2k"))
        {
        }

        using var stats = await StandInStatsClient.GetAsync(StandIn);

        var created = stats.RootElement.GetProperty("created");
        Assert.Equal(3, created.GetProperty("/parse_async").GetInt32());
        Assert.Equal(1, created.GetProperty("/classify").GetInt32());
        Assert.Equal(1, created.GetProperty("/upload").GetInt32());
        Assert.Equal(3, created.EnumerateObject().Count());
        Assert.Equal(5, stats.RootElement.GetProperty("creations").GetInt32());
        Assert.Equal(5, StandIn.Creations.Count);
        Assert.Equal(3, StandIn.Creations.CountFor("/parse_async"));
        Assert.Equal(0, StandIn.Creations.CountFor("/extract_async"));
        Assert.Equal(6, stats.RootElement.GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task ACreation_KeepsItsRouteRawConfigTimeAndIdempotencyKey()
    {
        var before = DateTimeOffset.UtcNow;
        const string config = """{"input":"reducto://k.pdf","settings":{"page_range":{"start":1,"end":2}}}""";
        using var answer = await PostJsonAsync("/extract_async", config, new Dictionary<string, string> { ["Idempotency-Key"] = "stainless-retry-abc" });
        var id = answer.RootElement.GetProperty("job_id").GetString()!;

        var creation = StandIn.Creations.Job(id);

        Assert.NotNull(creation);
        Assert.Equal("/extract_async", creation.Route);
        Assert.Equal(config, creation.RawConfig);
        Assert.Equal("stainless-retry-abc", creation.IdempotencyKey);
        Assert.False(creation.Synchronous);
        Assert.InRange(creation.CreatedAt, before, DateTimeOffset.UtcNow);
        Assert.Equal(1, StandIn.Creations.PerIdempotencyKey["stainless-retry-abc"]);
        using var stats = await StandInStatsClient.GetAsync(StandIn);
        Assert.Equal(1, stats.RootElement.GetProperty("idempotencyKeys").GetProperty("stainless-retry-abc").GetInt32());
    }

    [Fact]
    public async Task ACreationWithoutAKey_RecordsNone()
    {
        var id = await CreateAsync("/parse_async");

        Assert.Null(StandIn.Creations.Job(id)!.IdempotencyKey);
        Assert.Empty(StandIn.Creations.PerIdempotencyKey);
    }

    [Theory]
    [InlineData("/parse_async")]
    [InlineData("/parse")]
    [InlineData("/upload")]
    public async Task ADelayedCreation_IsCountedWhenItArrives_BeforeItIsAnswered(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent("{}") };
        request.Headers.Add("x-standin-delay-ms", "30000");

        var answer = Client.SendAsync(request, Cancel);
        await Eventually.Until(() => StandIn.Creations.CountFor(route) == 1, because: "the creation is counted while its answer waits");

        Assert.False(answer.IsCompleted);
    }

    [Fact]
    public async Task ACallerWhoHangsUpMidCreation_HasStillCreatedTheJob()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/parse_async") { Content = new StringContent("""{"input":"x"}""") };
        request.Headers.Add("x-standin-delay-ms", "30000");
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(Cancel);

        var answer = Client.SendAsync(request, hangUp.Token);
        await Eventually.Until(() => StandIn.Creations.Count == 1);
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answer);

        using var list = await GetJsonAsync("/jobs");
        Assert.Single(list.RootElement.GetProperty("jobs").EnumerateArray());
        Assert.Equal(1, StandIn.Creations.CountFor("/parse_async"));
    }

    [Fact]
    public async Task TheDelayHeader_HoldsTheAnswerThatLong()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/split") { Content = new StringContent("{}") };
        request.Headers.Add("x-standin-delay-ms", "300");
        var clock = Stopwatch.StartNew();

        using var response = await Client.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"answered after {clock.Elapsed}");
    }
}

/// <summary><see cref="StandInOptions.CreationLatency"/>: every creation's answer waits, and a header can override it.</summary>
public sealed class StandInCreationLatencyTests : StandInTest
{
    protected override StandInOptions Options => new() { CreationLatency = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task EveryCreation_WaitsOutTheLatency_AfterItIsCounted()
    {
        var answer = Client.PostAsync("/edit_async", new StringContent("{}"), Cancel);
        await Eventually.Until(() => StandIn.Creations.CountFor("/edit_async") == 1);

        Assert.False(answer.IsCompleted);
    }

    [Fact]
    public async Task TheDelayHeader_OverridesTheLatency()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/edit_async") { Content = new StringContent("{}") };
        request.Headers.Add("x-standin-delay-ms", "0");

        using var response = await Client.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task JobReads_AreNotDelayed()
    {
        using var response = await Client.GetAsync("/job/done-2k", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
