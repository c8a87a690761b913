// The fastest bare Kestrel we can write for a cache hit, the ceiling bench/run.sh compares the gateway with:
// one terminal middleware (app.Run: no routing, no endpoint, no other middleware), the socket transport's
// UnsafePreferInlineScheduling (requests run on the socket threads), the gateway's 64 KiB pipe blocks
// (src/Gateway/Hosting/PipeBlockPool.cs; Kestrel's own are 4 KiB), and everything a response needs built at
// start-up: the bodies (identity and a gzip copy made under the gateway's rule: over 1 KiB, at least 10% smaller,
// CompressionLevel.Optimal), and the header values (Content-Type, Content-Encoding, Vary) as StringValues. A hit is a
// dictionary lookup on the path, three header assignments and PipeWriter writes of the body straight into Kestrel's
// output pipe (no Stream wrapper), one flush per 256 KiB slice, as the gateway writes. bench/Ceiling is the softer ceiling this replaced: MapGet
// routing, default scheduling, Response.Body.
//
//   dotnet bench/BareCeiling/bin/Release/net10.0/BareCeiling.dll --urls http://127.0.0.1:5091 \
//       --StandIn:Url=http://127.0.0.1:5080 [--StandIn:Key=stand-in-key] [--Ids=done-2k,done-64k,pending-x]
//       [--SliceBytes=262144] [--Inline=true] [--PipeBlockBytes=65536] (0: Kestrel's own 4 KiB pool)
//       [--Socket=true]: below Kestrel's HTTP layer, as the gateway's direct hits are (src/Gateway/Direct): a
//       connection middleware finds each request head's path and Accept-Encoding and sends a head built for it and
//       the body with one Socket.SendAsync, no pipe copy. No header checks, no keys: the least a server can do.
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Buffers;
using Gateway.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Primitives;

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.Configuration.AddCommandLine(args);
builder.WebHost.UseKestrelCore();
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://127.0.0.1:5091");
var inline = builder.Configuration.GetValue("Inline", true);
builder.Services.Configure<SocketTransportOptions>(sockets => sockets.UnsafePreferInlineScheduling = inline);
var blockBytes = builder.Configuration.GetValue("PipeBlockBytes", 64 * 1024);
if (blockBytes > 0)
{
    builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new BlockPoolFactory(blockBytes));
}

var standIn = builder.Configuration["StandIn:Url"]
    ?? throw new InvalidOperationException("Set StandIn:Url (--StandIn:Url=http://127.0.0.1:PORT).");
var key = builder.Configuration["StandIn:Key"] ?? "stand-in-key";
var sliceBytes = builder.Configuration.GetValue("SliceBytes", 256 * 1024);
if (sliceBytes <= 0)
{
    throw new InvalidOperationException("SliceBytes must be positive.");
}

var ids = (builder.Configuration["Ids"] ?? "done-2k,done-64k,done-1m,done-5m,pending-x")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

var bodies = new Dictionary<string, Body>(StringComparer.Ordinal);
using (var http = new HttpClient { BaseAddress = new Uri(standIn) })
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    foreach (var id in ids)
    {
        using var response = await http.GetAsync(new Uri("job/" + id, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bodies["/job/" + id] = new Body(bytes, Gzip(bytes));
    }
}

if (builder.Configuration.GetValue("Socket", false))
{
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
        endpoint.Use(_ => connection => SocketCeiling.ServeAsync(connection, bodies))));
}

StringValues json = "application/json", gzipCoding = "gzip", acceptEncoding = "Accept-Encoding";
var app = builder.Build();
app.Run(context =>
{
    var response = context.Response;
    if (!bodies.TryGetValue(context.Request.Path.Value ?? "", out var entry))
    {
        response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    var headers = response.Headers;
    var body = entry.Identity;
    if (entry.Gzip is { } gzip)
    {
        headers.Vary = acceptEncoding;
        if (context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentEncoding = gzipCoding;
            body = gzip;
        }
    }

    headers.ContentType = json;
    headers.ContentLength = body.Length;
    if (body.Length <= sliceBytes)
    {
        var flush = response.BodyWriter.WriteAsync(body);
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    return WriteSlicedAsync(response.BodyWriter, body, sliceBytes);
});
await app.RunAsync();

static async Task WriteSlicedAsync(PipeWriter writer, byte[] body, int sliceBytes)
{
    for (var offset = 0; offset < body.Length; offset += sliceBytes)
    {
        await writer.WriteAsync(body.AsMemory(offset, Math.Min(sliceBytes, body.Length - offset)));
    }
}

static byte[]? Gzip(byte[] body)
{
    if (body.Length <= 1024)
    {
        return null;
    }

    using var output = new MemoryStream();
    using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
    {
        gzip.Write(body);
    }

    return output.Length <= body.Length * 0.9 ? output.ToArray() : null;
}

internal sealed record Body(byte[] Identity, byte[]? Gzip);

internal sealed class BlockPoolFactory(int blockBytes) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new PipeBlockPool(blockBytes);
}
