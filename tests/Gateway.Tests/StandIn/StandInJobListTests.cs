using System.Net;
using System.Text.Json;

namespace Gateway.Tests.StandIn;

/// <summary><c>GET /jobs</c>: every job created, newest first, in Reducto's shape, paged by an opaque cursor.</summary>
public sealed class StandInJobListTests : StandInTest
{
    [Fact]
    public async Task TheList_HoldsEveryCreatedJob_NewestFirst_WithItsConfigTypeAndStatus()
    {
        var asyncJob = await CreateAsync("/parse_async", """{"input":"reducto://one.pdf"}""");
        var syncJob = await CreateAsync("/extract", """{"input":"reducto://two.pdf","schema":{}}""");
        using (await PostJsonAsync("/upload", ""))
        {
        }

        using var list = await GetJsonAsync("/jobs");

        var jobs = list.RootElement.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal([syncJob, asyncJob], jobs.Select(j => j.GetProperty("job_id").GetString()));
        Assert.Equal(JsonValueKind.Null, list.RootElement.GetProperty("next_cursor").ValueKind);
        Assert.Equal(
            ["job_id", "status", "type", "raw_config", "created_at", "num_pages", "total_pages", "duration"],
            jobs[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("Completed", jobs[0].GetProperty("status").GetString());
        Assert.Equal("Extract", jobs[0].GetProperty("type").GetString());
        Assert.Equal("""{"input":"reducto://two.pdf","schema":{}}""", jobs[0].GetProperty("raw_config").GetString());
        Assert.Equal(3, jobs[0].GetProperty("num_pages").GetInt32());
        Assert.Equal("Pending", jobs[1].GetProperty("status").GetString());
        Assert.Equal("Parse", jobs[1].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, jobs[1].GetProperty("num_pages").ValueKind);
        Assert.InRange(jobs[1].GetProperty("created_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task ThePages_FollowTheCursor_UntilANullOne()
    {
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync("/split_async"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var page = await GetJsonAsync("/jobs?limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            seen.AddRange(page.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetString()!));
            cursor = page.RootElement.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(created), seen);
    }

    [Fact]
    public async Task ExcludeConfigs_DropsRawConfig()
    {
        await CreateAsync("/classify_async");

        using var list = await GetJsonAsync("/jobs?exclude_configs=true");

        var job = Assert.Single(list.RootElement.GetProperty("jobs").EnumerateArray());
        Assert.False(job.TryGetProperty("raw_config", out _));
    }

    [Fact]
    public async Task TheDefaultLimit_Is100()
    {
        for (var i = 0; i < 101; i++)
        {
            await CreateAsync("/edit_async");
        }

        using var list = await GetJsonAsync("/jobs");

        Assert.Equal(100, list.RootElement.GetProperty("jobs").GetArrayLength());
        Assert.Equal(JsonValueKind.String, list.RootElement.GetProperty("next_cursor").ValueKind);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("501")]
    [InlineData("many")]
    public async Task ALimitOutside1To500_Gets422(string limit)
    {
        using var response = await Client.GetAsync("/jobs?limit=" + limit, Cancel);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var detail = Assert.Single(problem.RootElement.GetProperty("detail").EnumerateArray());
        Assert.Equal(["query", "limit"], detail.GetProperty("loc").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task ACursorNeverHandedOut_GetsAnEmptyLastPage()
    {
        await CreateAsync("/parse_async");

        using var list = await GetJsonAsync("/jobs?limit=5&cursor=abc");

        Assert.Empty(list.RootElement.GetProperty("jobs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, list.RootElement.GetProperty("next_cursor").ValueKind);
    }
}
