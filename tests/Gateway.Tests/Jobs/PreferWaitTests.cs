using System.Net;
using System.Text;
using Gateway.Jobs;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Jobs;

/// <summary><c>Prefer: wait=N</c> (RFC 7240): callers are answered when the job finishes, or with its latest state after N seconds.</summary>
public sealed class PreferWaitTests : GatewayTest
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Jobs:MaxWait"] = "00:00:03",
        ["Jobs:WatchInterval"] = "00:00:00.100",
        ["Jobs:MaxWatchInterval"] = "00:00:00.400",
    };

    [Fact]
    public async Task AJobStillRunning_WhenTheWaitEnds_GetsItsLatestPendingBody()
    {
        // Every upstream answer reports one more percent of progress, so the body shows which poll it came from.
        var id = NewId("job-");
        var polls = 0;
        Upstream.Script.Respond(id, () => new Reducto.StandIn.ScriptedResponse(
            200, Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"Pending","progress":{{Interlocked.Increment(ref polls)}}}""")));

        var started = DateTime.UtcNow;
        using var response = await GetJobAsync(id, "wait=1");
        var body = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wait=1", response.Header("Preference-Applied"));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the caller was held for the wait it asked for");

        // The watcher polled meanwhile (backing off), and the caller got the latest of those answers, not its first.
        // (A poll already under way when the wait ended may land just after the answer was taken.)
        var seen = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("progress").GetInt32();
        var made = Volatile.Read(ref polls);
        Assert.InRange(made, 2, 8);
        Assert.InRange(seen, Math.Max(2, made - 1), made);

        // It stopped when its only caller left.
        await Eventually.Until(() => Gateway.Services.GetRequiredService<JobWatcher>().Watching == 0, because: "the watch stops when nobody waits");
        var afterwards = Volatile.Read(ref polls);

        // A watch on another job polls 100, 200 and 400 ms apart: by its fourth read a watch left running on the first
        // job (at most 400 ms between polls) would have polled again.
        var other = NewId("job-");
        var otherReads = 0;
        Upstream.Script.Respond(other, () => new Reducto.StandIn.ScriptedResponse(
            200, Encoding.UTF8.GetBytes($$"""{"job_id":"{{other}}","status":"Pending","progress":{{Interlocked.Increment(ref otherReads)}}}""")));
        var otherWait = GetJobAsync(other, "wait=2");
        await Eventually.Until(() => Volatile.Read(ref otherReads) >= 4, because: "the other job's watch polls three times");
        Assert.Equal(afterwards, Volatile.Read(ref polls));
        (await otherWait).Dispose();
    }

    [Fact]
    public async Task ManyCallersWaitingOnOneJob_ShareOneWatcher_AndAllSeeItComplete()
    {
        var id = NewId("after-1s-");
        var waits = Enumerable.Range(0, 50).Select(_ => ReadAsync(id, "wait=3")).ToArray();
        var watcher = Gateway.Services.GetRequiredService<JobWatcher>();
        await Eventually.Until(() => watcher.Waiting == 50, because: "every caller waits");
        Assert.Equal(1, watcher.Watching);
        var results = await Task.WhenAll(waits);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(results, r => Assert.Contains("\"Completed\"", r.Body, StringComparison.Ordinal));

        // 50 callers, each of which would otherwise poll; one watcher polls at 100, 200, 400, 400... ms.
        Assert.InRange(Upstream.Requests.CountForJob(id), 2, 8);
    }

    [Fact]
    public async Task CallersArrivingAtAWatchedJob_JoinTheWatch_WithoutReadingUpstreamThemselves()
    {
        var id = NewId("job-");
        var done = false;
        Upstream.Script.Respond(id, () => new Reducto.StandIn.ScriptedResponse(
            200, Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","status":"{{(Volatile.Read(ref done) ? "Completed" : "Pending")}}"}""")));
        var watcher = Gateway.Services.GetRequiredService<JobWatcher>();
        var first = ReadAsync(id, "wait=3");
        await Eventually.Until(() => watcher.Watching == 1, because: "the first caller starts a watch");

        // One newcomer every 50 ms: each would read the job (Pending is never cached) if it did not join the watch.
        var started = DateTime.UtcNow;
        var later = new List<Task<(HttpStatusCode Status, string Body)>>();
        for (var i = 0; i < 20; i++)
        {
            later.Add(ReadAsync(id, "wait=3"));
            await Task.Delay(50, Cancel);
        }

        await Eventually.Until(() => watcher.Waiting == 21, because: "every newcomer waits on the one watch");
        var elapsed = DateTime.UtcNow - started;
        Volatile.Write(ref done, true);
        var results = await Task.WhenAll(later.Prepend(first));

        Assert.All(results, r => Assert.Contains("\"Completed\"", r.Body, StringComparison.Ordinal));
        // The first caller's read, the watch's polls (100 ms apart at the quickest) and the poll that saw Completed;
        // 20 newcomers reading for themselves would add 20.
        Assert.InRange(Upstream.Requests.CountForJob(id), 2, 3 + (int)(elapsed.TotalMilliseconds / 100));
    }

    [Fact]
    public async Task WaitingCallersAndWatchedJobs_AreMeasuredByTheGatewaysGauges()
    {
        // Read through this gateway's own meter factory: other gateways alive in the test process publish meters of
        // the same name, and a Prometheus scrape here could show one of theirs (a process runs one gateway in use).
        var meters = Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var waiting = new MetricCollector<int>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.jobs.waiting");
        using var watched = new MetricCollector<int>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.jobs.watched");
        var id = NewId("pending-");
        var waits = Enumerable.Range(0, 5).Select(_ => ReadAsync(id, "wait=2")).ToArray();
        await Eventually.Until(() => Gateway.Services.GetRequiredService<JobWatcher>().Waiting == 5);

        waiting.RecordObservableInstruments();
        watched.RecordObservableInstruments();
        await Task.WhenAll(waits);

        Assert.Equal(5, waiting.LastMeasurement?.Value);
        Assert.Equal(1, watched.LastMeasurement?.Value);
    }

    [Fact]
    public async Task AFinishedJob_IsAnsweredAtOnce()
    {
        var id = NewId("done-");
        using var first = await GetJobAsync(id, "wait=3");
        var started = DateTime.UtcNow;
        using var second = await GetJobAsync(id, "wait=3");

        Assert.Equal("wait=3", second.Header("Preference-Applied"));
        Assert.Equal("Gateway; hit", second.Header("Cache-Status"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1));
        Assert.Equal(1, Upstream.Requests.CountForJob(id));
    }

    [Fact]
    public async Task AnErrorAnswer_EndsTheWait()
    {
        var id = NewId("pending-");
        var read = ReadAsync(id, "wait=3");
        await Eventually.Until(() => Gateway.Services.GetRequiredService<JobWatcher>().Watching == 1);
        Upstream.Script.Respond(id, 404, "{\"detail\":\"Job not found\"}");

        var (status, _) = await read;
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("wait=600", "wait=3")]
    [InlineData("respond-async, wait=2", "wait=2")]
    [InlineData("WAIT = \"2\"", "wait=2")]
    public async Task TheWaitIsReadAsRfc7240Says_AndCappedByJobsMaxWait(string prefer, string applied)
    {
        using var response = await GetJobAsync(NewId("done-"), prefer);
        Assert.Equal(applied, response.Header("Preference-Applied"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wait=0")]
    [InlineData("wait=soon")]
    [InlineData("return=minimal")]
    public async Task WithoutAUsableWait_NothingChanges(string? prefer)
    {
        var started = DateTime.UtcNow;
        using var response = await GetJobAsync(NewId("pending-"), prefer);

        Assert.Null(response.Header("Preference-Applied"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), "answered at once");
    }

    private async Task<HttpResponseMessage> GetJobAsync(string id, string? prefer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/" + id);
        if (prefer is not null)
        {
            request.Headers.TryAddWithoutValidation("Prefer", prefer);
        }

        return await Client.SendAsync(request, Cancel);
    }

    private async Task<(HttpStatusCode Status, string Body)> ReadAsync(string id, string prefer)
    {
        using var response = await GetJobAsync(id, prefer);
        return (response.StatusCode, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(Cancel)));
    }
}
