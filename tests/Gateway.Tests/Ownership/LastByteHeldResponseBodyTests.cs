using System.Text;
using Gateway.Ownership;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;

namespace Gateway.Tests.Ownership;

public sealed class LastByteHeldResponseBodyTests
{
    private static readonly byte[] s_answer = Encoding.UTF8.GetBytes(
        """{"result":{"job_id":"nested","chunks":["a","b"]},"usage":{"num_pages":2},"job_id":"job-42"}""");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamWritesInManyChunks_ReachTheInnerBodyMinusTheLastByte_UntilRelease()
    {
        var (inner, body) = Wrap();
        for (var offset = 0; offset < s_answer.Length; offset += 5)
        {
            var count = Math.Min(5, s_answer.Length - offset);
            await body.Stream.WriteAsync(s_answer.AsMemory(offset, count), Cancel);
            Assert.Equal(s_answer[..(offset + count - 1)], inner.Received);
        }

        await body.CompleteAsync();
        Assert.Equal(s_answer[..^1], inner.Received);
        Assert.Equal(0, inner.Completions);
        Assert.Equal("job-42", body.Scanner.Found);

        await body.ReleaseAsync(Cancel);

        Assert.Equal(s_answer, inner.Received);
        Assert.Equal(1, inner.Completions);
    }

    [Fact]
    public async Task WriterWrites_GoThroughTheHold()
    {
        var (inner, body) = Wrap();
        var span = body.Writer.GetSpan(10);
        s_answer.AsSpan(0, 10).CopyTo(span);
        body.Writer.Advance(10);
        await body.Writer.FlushAsync(Cancel);
        await body.Writer.WriteAsync(s_answer.AsMemory(10), Cancel);

        Assert.Equal(s_answer[..^1], inner.Received);
        Assert.Equal("job-42", body.Scanner.Found);

        await body.ReleaseAsync(Cancel);
        Assert.Equal(s_answer, inner.Received);
    }

    [Fact]
    public async Task WriterBytesNotYetFlushed_AreSentBeforeTheHeldByteOnRelease()
    {
        var (inner, body) = Wrap();
        await body.Writer.WriteAsync(s_answer.AsMemory(0, 20), Cancel);
        s_answer.AsSpan(20).CopyTo(body.Writer.GetSpan(s_answer.Length - 20));
        body.Writer.Advance(s_answer.Length - 20);

        await body.ReleaseAsync(Cancel);

        Assert.Equal(s_answer, inner.Received);
    }

    [Fact]
    public async Task SendFile_GoesThroughTheHold()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, [.. "prefix"u8, .. s_answer, .. "suffix"u8], Cancel);
            var (inner, body) = Wrap();

            await body.SendFileAsync(path, offset: 6, count: s_answer.Length, Cancel);

            Assert.Equal(s_answer[..^1], inner.Received);
            Assert.Equal("job-42", body.Scanner.Found);
            await body.ReleaseAsync(Cancel);
            Assert.Equal(s_answer, inner.Received);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task SynchronousWrites_GoThroughTheHold()
    {
        var (inner, body) = Wrap();
        body.Stream.Write(s_answer, 0, 30);
        body.Stream.Write(s_answer.AsSpan(30));

        Assert.Equal(s_answer[..^1], inner.Received);
        await body.ReleaseAsync(Cancel);
        Assert.Equal(s_answer, inner.Received);
    }

    [Fact]
    public async Task AOneByteBody_IsHeldWhole_UntilRelease()
    {
        var (inner, body) = Wrap();
        await body.Stream.WriteAsync("x"u8.ToArray(), Cancel);
        await body.Stream.WriteAsync(Array.Empty<byte>(), Cancel);

        Assert.Empty(inner.Received);
        await body.ReleaseAsync(Cancel);
        Assert.Equal("x"u8.ToArray(), inner.Received);
    }

    [Fact]
    public async Task AnEmptyBody_ReleasesToNothing_AndCompletesOnce()
    {
        var (inner, body) = Wrap();
        await body.StartAsync(Cancel);
        await body.CompleteAsync();
        Assert.Equal(0, inner.Completions);

        await body.ReleaseAsync(Cancel);
        await body.ReleaseAsync(Cancel);

        Assert.Empty(inner.Received);
        Assert.Equal(1, inner.Completions);
        Assert.Null(body.Scanner.Found);
    }

    [Fact]
    public async Task WritesAfterRelease_PassStraightThrough_AndCompleteGoesToTheInnerBody()
    {
        var (inner, body) = Wrap();
        await body.Stream.WriteAsync(s_answer.AsMemory(0, 10), Cancel);
        await body.ReleaseAsync(Cancel);

        await body.Stream.WriteAsync(s_answer.AsMemory(10), Cancel);
        await body.CompleteAsync();

        Assert.Equal(s_answer, inner.Received);
        Assert.Equal(1, inner.Completions);
    }

    [Fact]
    public async Task StreamWrites_AllocateNothingPerWrite()
    {
        var body = new LastByteHeldResponseBody(new StreamResponseBodyFeature(Stream.Null), new TopLevelIdScanner("job_id"u8));
        var chunk = new byte[1000];
        await body.Stream.WriteAsync(chunk, Cancel);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            await body.Stream.WriteAsync(chunk, Cancel);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task OverTestServer_TheCallerReadsAllButTheLastByte_AndTheRestOnlyAfterRelease()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var found = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(async context =>
        {
            var body = new LastByteHeldResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), new TopLevelIdScanner("job_id"u8));
            context.Features.Set<IHttpResponseBodyFeature>(body);
            context.Response.ContentType = "application/json";
            for (var offset = 0; offset < s_answer.Length; offset += 7)
            {
                await context.Response.Body.WriteAsync(s_answer.AsMemory(offset, Math.Min(7, s_answer.Length - offset)));
            }

            found.SetResult(body.Scanner.Found);
            await gate.Task;
            await body.ReleaseAsync();
        });
        using var client = app.GetTestClient();

        using var response = await client.GetAsync("/", HttpCompletionOption.ResponseHeadersRead, Cancel);
        await using var stream = await response.Content.ReadAsStreamAsync(Cancel);
        var received = new byte[s_answer.Length];
        await stream.ReadExactlyAsync(received.AsMemory(0, s_answer.Length - 1), Cancel);
        Assert.Equal("job-42", await found.Task);
        var last = stream.ReadAsync(received.AsMemory(s_answer.Length - 1), Cancel).AsTask();
        Assert.False(last.IsCompleted);

        gate.SetResult();

        Assert.Equal(1, await last);
        Assert.Equal(s_answer, received);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], Cancel));
    }

    [Fact]
    public async Task OverTestServer_AHeadRequest_CompletesOnRelease()
    {
        await using var app = await StartAsync(async context =>
        {
            var body = new LastByteHeldResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), new TopLevelIdScanner("job_id"u8));
            context.Features.Set<IHttpResponseBodyFeature>(body);
            context.Response.ContentLength = s_answer.Length;
            await context.Response.CompleteAsync();
            await body.ReleaseAsync();
        });
        using var client = app.GetTestClient();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), Cancel);

        Assert.Equal(s_answer.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Cancel));
    }

    private static (RecordingBody Inner, LastByteHeldResponseBody Body) Wrap()
    {
        var inner = new RecordingBody();
        return (inner, new LastByteHeldResponseBody(inner, new TopLevelIdScanner("job_id"u8)));
    }

    private static async Task<WebApplication> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(Cancel);
        return app;
    }

    // What reached the inner body, and how often it was completed. A MemoryStream holds nothing to dispose.
#pragma warning disable CA1001
    private sealed class RecordingBody : IHttpResponseBodyFeature
#pragma warning restore CA1001
    {
        private readonly MemoryStream _received = new();
        private readonly StreamResponseBodyFeature _feature;

        public RecordingBody() => _feature = new StreamResponseBodyFeature(_received);

        public byte[] Received => _received.ToArray();

        public int Completions { get; private set; }

        public Stream Stream => _feature.Stream;

        public System.IO.Pipelines.PipeWriter Writer => _feature.Writer;

        public void DisableBuffering() => _feature.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => _feature.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            _feature.SendFileAsync(path, offset, count, cancellationToken);

        public Task CompleteAsync()
        {
            Completions++;
            return _feature.CompleteAsync();
        }
    }
}
