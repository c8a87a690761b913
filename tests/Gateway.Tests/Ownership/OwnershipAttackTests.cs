using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Ownership;

/// <summary>
/// Team B goes after team A's work with what a hostile client can put on the wire: other spellings of the path, old
/// protocol versions, conditional and partial reads, references hidden deep in a body or in odd encodings, oversized
/// and chunked bodies, and the admin key. Whatever B sends, it learns no more than it would for an id that does not
/// exist, and the stand-in hears nothing of it; A's own use of the same forms still works.
/// The gateway runs on Kestrel (so reads take the direct path where they can) with unowned work denied.
/// </summary>
public sealed partial class OwnershipAttackTests : IAsyncLifetime
{
    private StandInServer _upstream = null!;
    private GatewayFactory _gateway = null!;
    private Uri _address = null!;
    private HttpClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        _gateway = new GatewayFactory(_upstream.BaseAddress, null, Settings());
        _address = _gateway.StartOnKestrel();
        _client = new HttpClient { BaseAddress = _address };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    // {id} is the job's id; each target is sent byte for byte, so no client library tidies it first.
    public static TheoryData<string> PathTricks => new()
    {
        "/job/{id}/",
        "/JOB/{id}",
        "//job/{id}",
        "/job/./{id}",
        "/x/../job/{id}",
        "/job/{first%}",
        "/job/{id%2D}",
        "/job/{id}%2F",
        "/job/x%2F..%2F{id}",
        "/job/{id}?x=1",
        "/job/{id}#x",
        "http://gateway/job/{id}",
    };

    [Theory]
    [MemberData(nameof(PathTricks))]
    public async Task TeamB_ReadingTeamAsJob_ThroughAnotherSpellingOfThePath_LearnsWhatItWouldForNoJob(string target)
    {
        var job = await CompletedJobOfTeamAAsync();
        var before = _upstream.Requests.Count;

        var refused = await RawAsync(Get(Spell(target, job), TeamB));
        var nothing = await RawAsync(Get(Spell(target, Guid.NewGuid().ToString()), TeamB));

        Assert.Equal(nothing, refused);
        Assert.DoesNotContain(job, refused.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, _upstream.Requests.Count);
        TestContext.Current.TestOutputHelper?.WriteLine($"B {target}: {refused.Status}");

        // A's own read in the same spelling: the job, or the same refusal as for a path that names no job.
        var own = await RawAsync(Get(Spell(target, job), TeamA));
        TestContext.Current.TestOutputHelper?.WriteLine($"A {target}: {own.Status}");
        Assert.True(own.Status == 200 ? own.Body.Contains(job, StringComparison.Ordinal) : own.Status == refused.Status,
            $"A's own read of {target}: {own.Status} {own.Body}");
    }

    [Fact]
    public async Task Http10_IsNoWayIn()
    {
        var job = await CompletedJobOfTeamAAsync();
        var before = _upstream.Requests.Count;

        var refused = await RawAsync(Get("/job/" + job, TeamB, version: "HTTP/1.0"));
        var nothing = await RawAsync(Get("/job/" + Guid.NewGuid(), TeamB, version: "HTTP/1.0"));
        Assert.Equal(404, refused.Status);
        Assert.Equal(nothing, refused);
        Assert.Equal(before, _upstream.Requests.Count);

        var own = await RawAsync(Get("/job/" + job, TeamA, version: "HTTP/1.0"));
        Assert.Equal(200, own.Status);
        Assert.Contains(job, own.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadWithIfNoneMatchStar_AndRange_AreNoWayIn()
    {
        var job = await CompletedJobOfTeamAAsync();
        var before = _upstream.Requests.Count;
        var unknown = Guid.NewGuid().ToString();
        string[][] forms = [["If-None-Match: *"], ["Range: bytes=0-15"], ["Range: bytes=-1"], ["If-None-Match: *", "Range: bytes=0-0"]];

        foreach (var headers in forms)
        {
            foreach (var method in new[] { "HEAD", "GET" })
            {
                var refused = await RawAsync(Get("/job/" + job, TeamB, method, headers: headers));
                var nothing = await RawAsync(Get("/job/" + unknown, TeamB, method, headers: headers));
                Assert.Equal(404, refused.Status);
                Assert.Equal(nothing, refused);
            }
        }

        Assert.Equal(before, _upstream.Requests.Count);

        // A: the star matches its existing job (304), and a range is answered with the whole job (200).
        Assert.Equal(304, (await RawAsync(Get("/job/" + job, TeamA, "HEAD", headers: ["If-None-Match: *"]))).Status);
        var ranged = await RawAsync(Get("/job/" + job, TeamA, headers: ["Range: bytes=0-15"]));
        Assert.True(ranged.Status is 200 or 206, "A's ranged read: " + ranged.Status);
    }

    [Fact]
    public async Task PreferWait_OnTeamAsRunningJob_NeitherWaitsNorAsks()
    {
        await using var upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.FromHours(1) }, cancellationToken: Cancel);
        await using var gateway = new GatewayFactory(upstream.BaseAddress, null, Settings());
        var address = gateway.StartOnKestrel();
        string job;
        using (var creator = new HttpClient { BaseAddress = address })
        {
            job = await CreateJobAsync(creator, TeamA);
        }

        var own = await RawAsync(Get("/job/" + job, TeamA, headers: ["Prefer: wait=1"]), address);
        Assert.Equal(200, own.Status);
        Assert.Contains("Pending", own.Body, StringComparison.Ordinal);
        var reads = upstream.Requests.CountForJob(job);

        var started = TimeProvider.System.GetTimestamp();
        var refused = await RawAsync(Get("/job/" + job, TeamB, headers: ["Prefer: wait=1"]), address);
        var waited = TimeProvider.System.GetElapsedTime(started);
        var nothing = await RawAsync(Get("/job/" + Guid.NewGuid(), TeamB, headers: ["Prefer: wait=1"]), address);

        Assert.Equal(404, refused.Status);
        Assert.Equal(nothing, refused);
        Assert.True(waited < TimeSpan.FromSeconds(1), $"B's refusal waited {waited.TotalMilliseconds} ms, as if the job were there");
        Assert.Equal(reads, upstream.Requests.CountForJob(job));
    }

    [Fact]
    public async Task TheAdminKey_IsNoTeam_AndReadsNoJob()
    {
        var job = await CompletedJobOfTeamAAsync();
        var before = _upstream.Requests.Count;

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var response = await _client.SendAsync(Request(method, "/job/" + job, GatewayFactory.AdminKey), Cancel);
            Assert.False(response.IsSuccessStatusCode, $"admin {method} /job: {(int)response.StatusCode}");
            Assert.DoesNotContain(job, await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        var raw = await RawAsync(Get("/job/" + job, GatewayFactory.AdminKey));
        Assert.NotEqual(200, raw.Status);
        using var cancel = await _client.SendAsync(Request(HttpMethod.Post, "/cancel/" + job, GatewayFactory.AdminKey), Cancel);
        Assert.False(cancel.IsSuccessStatusCode, "admin cancel: " + (int)cancel.StatusCode);
        Assert.Equal(before, _upstream.Requests.Count);
    }

    public static TheoryData<string, string, string> HiddenReferences => new()
    {
        { "/extract_async", "{\"input\":\"https://example.com/x.pdf\",\"a\":{\"b\":[1,{\"c\":{\"d\":{\"e\":[[{\"f\":{\"g\":\"JOB\"}}]]}}}]}}", "a.b[1].c.d.e[0][0].f.g" },
        { "/extract_async", "{\"input\":\"https://example.com/x.pdf\",\"schema\":DEEP}", "" },
        { "/split_async", "{\"input\":[{\"file_id\":\"FILE\"}]}", "input[0].file_id" },
        { "/split_async", "{\"input\":[\"https://example.com/x.pdf\",{\"file_id\":\"FILE\",\"x\":1}]}", "input[1].file_id" },
        { "/parse_async", "BOM{\"input\":\"FILE\"}", "input" },
        { "/parse_async", " \r\n\t {\"input\":\"FILE\"}", "input" },
        { "/parse_async", "{\"input\":\"FILE\"}\n  ", "input" },
    };

    [Theory]
    [MemberData(nameof(HiddenReferences))]
    public async Task TeamB_CannotHideAReferenceToTeamAsWork_AndTeamA_SendsTheSameBody(string route, string template, string field)
    {
        var file = await UploadAsync(_client, TeamA);
        var job = await CreateJobAsync(_client, TeamA);
        var body = Fill(template, file, job);
        var (requests, creations) = (_upstream.Requests.Count, _upstream.Creations.Count);

        using var refused = await _client.SendAsync(Post(route, TeamB, body), Cancel);
        if (field.Length > 0)
        {
            await AssertNotOwnedAsync(refused, field);
        }
        else
        {
            // Deeper than the gateway's JSON reader goes: unreadable, so refused for everyone (400 body-not-json)
            // before anything is forwarded.
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync(Cancel)}");
            Assert.Contains("urn:gateway:problem:body-not-json", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        Assert.Equal((requests, creations), (_upstream.Requests.Count, _upstream.Creations.Count));

        using var own = await _client.SendAsync(Post(route, TeamA, Fill(template, file, job)), Cancel);
        TestContext.Current.TestOutputHelper?.WriteLine($"A {route}: {(int)own.StatusCode}");
        Assert.Equal(field.Length > 0 ? HttpStatusCode.OK : HttpStatusCode.BadRequest, own.StatusCode);
        Assert.Equal(field.Length > 0 ? creations + 1 : creations, _upstream.Creations.Count);
    }

    [Fact]
    public async Task AReferenceInAKeyName_IsNoReference_AndTeamB_MaySendIt()
    {
        var file = await UploadAsync(_client, TeamA);
        var job = await CreateJobAsync(_client, TeamA);
        var creations = _upstream.Creations.Count;
        var body = $"{{\"input\":\"https://example.com/x.pdf\",\"jobid://{job}\":1,\"meta\":{{\"{file}\":\"x\",\"file_ids\":{{\"{file}\":true}}}}}}";

        using var allowed = await _client.SendAsync(Request(HttpMethod.Post, "/parse_async", TeamB, Json(body)), Cancel);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(creations + 1, _upstream.Creations.Count);
    }

    [Fact]
    public async Task ABodyOverFourMebibytes_Is413_WithAForeignReferenceAnywhereInIt_AndForTeamAToo()
    {
        var file = await UploadAsync(_client, TeamA);
        var padding = new string('x', 4 * 1024 * 1024);
        var (requests, creations) = (_upstream.Requests.Count, _upstream.Creations.Count);

        foreach (var key in new[] { TeamB, TeamA })
        {
            foreach (var body in new[] { $"{{\"input\":\"{file}\",\"pad\":\"{padding}\"}}", $"{{\"pad\":\"{padding}\",\"input\":\"{file}\"}}" })
            {
                using var sized = await _client.SendAsync(Request(HttpMethod.Post, "/parse_async", key, Json(body)), Cancel);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);

                // Without a Content-Length, the gateway finds out only as it reads.
                using var chunked = await _client.SendAsync(Request(HttpMethod.Post, "/parse_async", key, Chunked(body, 64 * 1024)), Cancel);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
            }
        }

        Assert.Equal((requests, creations), (_upstream.Requests.Count, _upstream.Creations.Count));
    }

    [Fact]
    public async Task AChunkedBody_IsCheckedAsAWholeOne()
    {
        var file = await UploadAsync(_client, TeamA);
        var job = await CreateJobAsync(_client, TeamA);
        var (requests, creations) = (_upstream.Requests.Count, _upstream.Creations.Count);

        // The reference split across chunks, by the client library and by hand on a raw socket.
        using var refused = await _client.SendAsync(Request(HttpMethod.Post, "/extract_async", TeamB, Chunked($"{{\"input\":\"{file}\"}}")), Cancel);
        await AssertNotOwnedAsync(refused, "input");
        var json = $"{{\"input\":\"https://example.com/x.pdf\",\"steps\":[\"jobid://{job}\"]}}";
        var raw = await RawAsync(ChunkedPost("/parse_async", TeamB, json));
        Assert.Equal(404, raw.Status);
        Assert.Contains("urn:gateway:problem:not-owned", raw.Body, StringComparison.Ordinal);
        Assert.Equal((requests, creations), (_upstream.Requests.Count, _upstream.Creations.Count));

        var own = await RawAsync(ChunkedPost("/parse_async", TeamA, json));
        Assert.Equal(200, own.Status);
        Assert.Equal(creations + 1, _upstream.Creations.Count);
    }

    // Under Shared, work the ledger does not know is everyone's: a spelling of A's file that the ledger does not fold
    // to A's id, but that the upstream (here the stand-in, which unescapes the id it is given) reads as A's file,
    // would let B delete it. Under Deny any spelling the ledger does not know is refused.
    [Theory]
    [InlineData("{id}", "Shared")]
    [InlineData("{id}.PDF", "Shared")]
    [InlineData(" {id}.pdf", "Shared")]
    [InlineData("reducto:%2F%2F{id}.pdf", "Deny")]
    [InlineData("reducto%3A%2F%2F{id}.pdf", "Deny")]
    [InlineData("{id}%252Epdf", "Deny")]
    [InlineData("%2520{id}.pdf", "Deny")]
    [InlineData("reducto:%2F%2F{id}.pdf", "Shared")]
    [InlineData("reducto%3A%2F%2F{id}.pdf", "Shared")]
    [InlineData("{id}%252Epdf", "Shared")]
    [InlineData("%2520{id}.pdf", "Shared")]
    public async Task TeamB_CannotDeleteTeamAsFile_ThroughAnEncodedSpelling(string spelling, string unowned)
    {
        await using var gateway = new GatewayFactory(_upstream.BaseAddress, null, Settings(unowned));
        var client = gateway.CreateClient();
        var file = await UploadAsync(client, TeamA);
        var id = file["reducto://".Length..].Split('.')[0];
        var deletes = _upstream.Creations.UploadDeletes;

        using var attempt = await client.SendAsync(Request(HttpMethod.Delete, "/upload/" + spelling.Replace("{id}", id, StringComparison.Ordinal), TeamB), Cancel);
        var reached = _upstream.Creations.UploadDeletes - deletes;

        // A's file must still be there for A to delete: the stand-in answers 404 for a file already gone.
        using var own = await client.SendAsync(Request(HttpMethod.Delete, "/upload/" + id + ".pdf", TeamA), Cancel);
        Assert.True(own.StatusCode == HttpStatusCode.OK,
            $"B's DELETE /upload/{spelling} answered {(int)attempt.StatusCode} after reaching the stand-in {reached} time(s), and A's file is gone");
        Assert.Equal(HttpStatusCode.NotFound, attempt.StatusCode);
        Assert.Equal(0, reached);
    }

    [Theory]
    [InlineData("POST /cancel/{id}/", "Deny")]
    [InlineData("POST /CANCEL/{id}", "Deny")]
    [InlineData("POST /cancel/{id}?x=1", "Deny")]
    [InlineData("POST /cancel/./{id}", "Deny")]
    [InlineData("POST /cancel/{first%}", "Deny")]
    [InlineData("DELETE /job/{id}/", "Deny")]
    [InlineData("DELETE /JOB/{id}?include_persisted=true", "Deny")]
    [InlineData("POST /cancel/{id}/", "Shared")]
    [InlineData("POST /cancel/{first%}", "Shared")]
    [InlineData("DELETE /Job/{id%2D}", "Shared")]
    public async Task TeamB_CannotCancelOrDeleteTeamAsJob_ThroughAnotherSpellingOfThePath(string line, string unowned)
    {
        await using var gateway = new GatewayFactory(_upstream.BaseAddress, null, Settings(unowned));
        var address = gateway.StartOnKestrel();
        string job;
        using (var creator = new HttpClient { BaseAddress = address })
        {
            job = await CreateJobAsync(creator, TeamA);
        }

        var (method, target) = (line.Split(' ')[0], Spell(line.Split(' ')[1], job));
        var (requests, cancels, deletes) = (_upstream.Requests.Count, _upstream.Creations.Cancels, _upstream.Creations.JobDeletes);

        var refused = await RawAsync(Get(target, TeamB, method, headers: ["Content-Length: 0"]), address);
        Assert.True(refused.Status == 404 && refused.Body.Contains("urn:gateway:problem:not-owned", StringComparison.Ordinal),
            $"B's {method} {target}: {refused.Status} {refused.Body}");
        Assert.Equal((requests, cancels, deletes), (_upstream.Requests.Count, _upstream.Creations.Cancels, _upstream.Creations.JobDeletes));

        var own = await RawAsync(Get(target, TeamA, method, headers: ["Content-Length: 0"]), address);
        TestContext.Current.TestOutputHelper?.WriteLine($"B {refused.Status}, A {own.Status}: {method} {target}");
        Assert.True(own.Status is 200 or 202, $"A's {method} {target}: {own.Status} {own.Body}");
    }

    private async Task<string> CompletedJobOfTeamAAsync()
    {
        var job = await CreateJobAsync(_client, TeamA);
        using var own = await _client.SendAsync(Request(HttpMethod.Get, "/job/" + job, TeamA), Cancel);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        return job;
    }

    private static string Spell(string target, string id) => target
        .Replace("{first%}", $"%{(int)id[0]:X2}{id[1..]}", StringComparison.Ordinal)
        .Replace("{id%2D}", id.Replace("-", "%2D", StringComparison.Ordinal), StringComparison.Ordinal)
        .Replace("{id}", id, StringComparison.Ordinal);

    private static string Fill(string template, string file, string job)
    {
        var deep = string.Concat(Enumerable.Repeat("{\"x\":", 200)) + "\"jobid://" + job + "\"" + new string('}', 200);
        return template
            .Replace("DEEP", deep, StringComparison.Ordinal)
            .Replace("FILE", file, StringComparison.Ordinal)
            .Replace("JOB", "jobid://" + job, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Post(string path, string key, string body) =>
        Request(HttpMethod.Post, path, key, body.StartsWith("BOM", StringComparison.Ordinal)
            ? new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(body[3..])]) { Headers = { ContentType = new("application/json") } }
            : Json(body));

    private static StreamContent Chunked(string body, int piece = 5) =>
        new(new ChunkyStream(Encoding.UTF8.GetBytes(body), piece)) { Headers = { ContentType = new("application/json") } };

    private static string Get(string target, string key, string method = "GET", string version = "HTTP/1.1", params string[] headers)
    {
        var request = new StringBuilder($"{method} {target} {version}\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    private static string ChunkedPost(string path, string key, string json)
    {
        var request = new StringBuilder($"POST {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        foreach (var piece in json.Chunk(7))
        {
            request.Append($"{piece.Length:x}\r\n").Append(piece).Append("\r\n");
        }

        return request.Append("0\r\n\r\n").ToString();
    }

    private Task<Answer> RawAsync(string request) => RawAsync(request, _address);

    /// <summary>One request on a connection of its own, read to the server's close.</summary>
    private static async Task<Answer> RawAsync(string request, Uri server)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, Cancel);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request), Cancel);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, Cancel);
        var text = Encoding.UTF8.GetString(received.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = text[..end].Split("\r\n");
        var headers = lines.Skip(1)
            .Where(static l => !l.StartsWith("Date:", StringComparison.OrdinalIgnoreCase) && !l.StartsWith("Cache-Status:", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.OrdinalIgnoreCase);
        var body = text[(end + 4)..];
        if (lines.Any(static l => l.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            body = Unchunk(body);
        }

        // A problem's traceId names the connection and request, so it differs between any two answers.
        body = TraceId().Replace(body, "\"traceId\":\"*\"");
        return new Answer(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), string.Join("\n", headers), body);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..lineEnd], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static async Task AssertNotOwnedAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal("urn:gateway:problem:not-owned", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(field, json.RootElement.GetProperty("field").GetString());
    }

    [GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial Regex TraceId();

    /// <summary>What a caller sees of an answer: status, every header but Date and Cache-Status, and the body.</summary>
    private sealed record Answer(int Status, string Headers, string Body);

    /// <summary>A body of unknown length, handed over a piece at a time, so it goes out in many chunks.</summary>
    private sealed class ChunkyStream(byte[] bytes, int piece) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, piece)]);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, piece), cancellationToken);

        public override bool CanSeek => false;
    }
}
