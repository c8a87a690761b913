using System.Net;
using System.Text.Json;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary>
/// <c>POST /parse</c> and its synchronous siblings: a Completed result whose last top-level property is the job id,
/// a job <c>GET /job</c> then answers as Completed, and <c>x-standin-result-bytes</c> for a many-megabyte answer.
/// </summary>
public sealed class StandInSyncRouteTests : StandInTest
{
    public static TheoryData<string> Routes => ["parse", "extract", "split", "edit", "classify", "pipeline"];

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task ASynchronousRoute_AnswersItsResult_WithTheJobIdLast(string kind)
    {
        using var response = await Client.PostAsync("/" + kind, new StringContent("""{"input":"reducto://a.pdf"}"""), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(Cancel));
        var last = body.RootElement.EnumerateObject().Last();
        Assert.Equal("job_id", last.Name);
        Assert.True(Guid.TryParseExact(last.Value.GetString(), "D", out _));
        Assert.Equal(kind, body.RootElement.GetProperty("response_type").GetString());
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task ASynchronousRoutesJob_ReadsCompleted_AndIsCountedUnderItsRoute(string kind)
    {
        var id = await CreateAsync("/" + kind);

        using var job = await GetJsonAsync("/job/" + id);

        Assert.Equal("Completed", job.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, StandIn.Creations.CountFor("/" + kind));
        var creation = StandIn.Creations.Job(id);
        Assert.NotNull(creation);
        Assert.True(creation.Synchronous);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task ASynchronousRoutesJob_ReadsWithTheUsageItsAnswerCarried_WhichIsWhatTheStandInBills(string kind)
    {
        using var answer = await PostJsonAsync("/" + kind, "{}");
        var id = answer.RootElement.GetProperty("job_id").GetString()!;

        using var job = await GetJsonAsync("/job/" + id);

        var answered = answer.RootElement.GetProperty("usage");
        var read = job.RootElement.GetProperty("result").GetProperty("usage");
        Assert.Equal(answered.GetProperty("num_pages").GetInt64(), read.GetProperty("num_pages").GetInt64());
        Assert.Equal(answered.GetProperty("credits").GetDecimal(), read.GetProperty("credits").GetDecimal());
        Assert.Equal(new ServedJob(id, "Completed", new JobCost(read.GetProperty("num_pages").GetInt64(), read.GetProperty("credits").GetDecimal())), StandIn.Served.Job(id));
    }

    [Fact]
    public async Task AnAsynchronousJob_IsBilledWhenFirstServedFinished_WithTheUsageOfThatBody()
    {
        var id = await CreateAsync("/parse_async");
        using (await GetJsonAsync("/job/" + id))
        {
        }

        Assert.Null(StandIn.Served.Job(id));
        StandIn.Script.Respond(id, 200, """{"status":"Completed","result":{"usage":{"num_pages":7,"credits":null}}}""");
        using (await GetJsonAsync("/job/" + id))
        {
        }

        StandIn.Script.Respond(id, 200, """{"status":"Failed","result":null}""");
        using (await GetJsonAsync("/job/" + id))
        {
        }

        Assert.Equal(new ServedJob(id, "Completed", new JobCost(7, null)), StandIn.Served.Job(id));
        Assert.Single(StandIn.Served.Jobs);
    }

    [Theory]
    [InlineData("parse", 12 << 20)]
    [InlineData("extract", 3 << 20)]
    [InlineData("pipeline", 100_000)]
    [InlineData("classify", 5_000)]
    public async Task TheResultBytesHeader_PadsTheAnswerToThatSize_AndItStaysValidJson(string kind, int bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + kind) { Content = new StringContent("{}") };
        request.Headers.Add("x-standin-result-bytes", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await Client.SendAsync(request, Cancel);
        var body = await response.Content.ReadAsByteArrayAsync(Cancel);

        Assert.Equal(bytes, body.Length);
        Assert.Equal(bytes, response.Content.Headers.ContentLength);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("job_id", json.RootElement.EnumerateObject().Last().Name);
    }

    [Fact]
    public async Task ASizeTooSmallForTheResult_GetsTheSmallestWholeResult()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/parse") { Content = new StringContent("{}") };
        request.Headers.Add("x-standin-result-bytes", "10");

        using var response = await Client.SendAsync(request, Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(Cancel));

        Assert.Single(json.RootElement.GetProperty("result").GetProperty("chunks").EnumerateArray());
    }

    [Fact]
    public async Task AnUnpaddedParse_CarriesChunks_AndTheOtherShapesNoPadding()
    {
        using var parse = await PostJsonAsync("/parse", "{}");
        using var extract = await PostJsonAsync("/extract", "{}");

        Assert.NotEmpty(parse.RootElement.GetProperty("result").GetProperty("chunks").EnumerateArray());
        Assert.False(extract.RootElement.TryGetProperty("stand_in_padding", out _));
    }
}
