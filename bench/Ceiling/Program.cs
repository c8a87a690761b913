// The platform's ceiling for a cache hit: GET /job/{id} answers with bytes already in memory, written in 64 KiB
// slices with Content-Length and Content-Type: application/json, and does nothing else (no auth, no cache lookup,
// no metrics, no logging). The bodies are fetched once at start-up from the Reducto stand-in, so they are the same
// bytes the gateway and nginx serve. A caller that accepts gzip gets a gzip copy made once at start-up under the
// gateway's rule (bodies over 1 KiB that shrink by at least 10%), so the Accept-Encoding: gzip scenario compares
// like with like.
//
//   dotnet bench/Ceiling/bin/Release/net10.0/Ceiling.dll --urls http://127.0.0.1:5090 \
//       --StandIn:Url=http://127.0.0.1:5080 [--StandIn:Key=stand-in-key] [--Ids=done-2k,done-64k,pending-x]
//       [--SliceBytes=0]   (one write of the whole body, as the gateway does, for comparing the two ways to write)
using System.IO.Compression;
using System.Net.Http.Headers;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrel();
builder.Logging.ClearProviders();

var standIn = builder.Configuration["StandIn:Url"]
    ?? throw new InvalidOperationException("Set StandIn:Url (--StandIn:Url=http://127.0.0.1:PORT or StandIn__Url).");
var key = builder.Configuration["StandIn:Key"] ?? "stand-in-key";
var sliceBytes = builder.Configuration.GetValue("SliceBytes", 64 * 1024);
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
        bodies[id] = new Body(bytes, Gzip(bytes));
    }
}

var app = builder.Build();
app.MapGet("/job/{id}", (HttpContext context) => ServeAsync(context, bodies, sliceBytes));
await app.RunAsync();

static Task ServeAsync(HttpContext context, Dictionary<string, Body> bodies, int sliceBytes)
{
    if (context.GetRouteValue("id") is not string id || !bodies.TryGetValue(id, out var entry))
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    var body = entry.Identity;
    if (entry.Gzip is { } gzip && context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
    {
        context.Response.Headers.ContentEncoding = "gzip";
        body = gzip;
    }

    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return sliceBytes > 0 ? WriteAsync(context, body, sliceBytes) : context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
}

static async Task WriteAsync(HttpContext context, byte[] body, int sliceBytes)
{
    for (var offset = 0; offset < body.Length; offset += sliceBytes)
    {
        await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(sliceBytes, body.Length - offset)), context.RequestAborted);
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
