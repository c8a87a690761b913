using System.Globalization;
using System.Text;

namespace Reducto.StandIn;

/// <summary>
/// The routes that create jobs and files, and those that cancel or delete them. Each creation is recorded in
/// <see cref="StandInServer.Creations"/> as soon as its request has arrived, then the answer waits out any creation
/// latency: as with Reducto, a caller that hangs up while waiting has still created (and paid for) the job.
/// </summary>
internal static class CreationEndpoints
{
    /// <summary>Milliseconds to hold this one creation's answer, instead of <see cref="StandInOptions.CreationLatency"/>.</summary>
    public const string DelayHeader = "x-standin-delay-ms";

    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static readonly string[] Kinds = ["parse", "extract", "split", "edit", "classify", "pipeline"];

    private const string JobNotFound = """{"detail":"Job not found"}""";
    private const string FileNotFound = """{"detail":"File not found"}""";

    public static WebApplication MapCreations(this WebApplication app, StandInServer server)
    {
        foreach (var kind in Kinds)
        {
            app.MapPost("/" + kind + "_async", (HttpContext context) => CreateJobAsync(context, server, kind, synchronous: false));
            app.MapPost("/" + kind, (HttpContext context) => CreateJobAsync(context, server, kind, synchronous: true));
        }

        app.MapPost("/upload", (HttpContext context) => UploadAsync(context, server));
        app.MapPost("/cancel/{job_id}", (string job_id) =>
        {
            server.Creations.CountCancel();
            return Unknown(server, job_id) ? NotFound(JobNotFound) : Results.Json(new { });
        });
        app.MapDelete("/job/{job_id}", (string job_id) =>
        {
            server.Creations.CountJobDelete();
            return Unknown(server, job_id) ? NotFound(JobNotFound) : Results.Json(new { job_id }, statusCode: 202);
        });
        app.MapDelete("/upload/{**file_id}", (string file_id) =>
        {
            server.Creations.CountUploadDelete();
            return IssuedFileKey(file_id) is { } key && !server.Creations.RemoveFile(key) ? NotFound(FileNotFound) : Results.Json(new { });
        });
        return app;
    }

    private static async Task CreateJobAsync(HttpContext context, StandInServer server, string kind, bool synchronous)
    {
        var aborted = context.RequestAborted;
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(aborted);
        }

        var cost = synchronous ? SyncResults.Cost(kind) : (JobCost?)null;
        var id = server.Jobs.Create(completed: synchronous, cost);
        server.Creations.AddJob("/" + kind + (synchronous ? "" : "_async"), id, body, IdempotencyKey(context.Request), synchronous);
        if (!await WaitOutLatencyAsync(context, server.Options))
        {
            return;
        }

        if (cost is { } answered)
        {
            server.Served.RecordAnswer(id, answered);
            await SyncResults.WriteAsync(context.Response, kind, id, SyncResults.RequestedBytes(context.Request), aborted);
        }
        else
        {
            await Results.Json(new { job_id = id }).ExecuteAsync(context);
        }
    }

    private static async Task UploadAsync(HttpContext context, StandInServer server)
    {
        // Counted and discarded: the stand-in must not be what holds a 100 MB upload in memory either.
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            total += read;
        }

        server.Requests.AddUploadedBytes(total);
        var key = Guid.NewGuid();
        var fileId = "reducto://" + key + ".pdf";
        server.Creations.AddFile(fileId, key, IdempotencyKey(context.Request));
        if (await WaitOutLatencyAsync(context, server.Options))
        {
            await Results.Json(new { file_id = fileId, presigned_url = (string?)null }).ExecuteAsync(context);
        }
    }

    /// <returns>False when the caller hung up while waiting: there is no one left to answer.</returns>
    private static async Task<bool> WaitOutLatencyAsync(HttpContext context, StandInOptions options)
    {
        var delay = int.TryParse(context.Request.Headers[DelayHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : options.CreationLatency;
        if (delay <= TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(delay, context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string? IdempotencyKey(HttpRequest request) =>
        request.Headers.TryGetValue(IdempotencyKeyHeader, out var key) ? key.ToString() : null;

    // Ids of the shape the stand-in hands out (UUIDs) are known only if it did hand them out; any other id is a
    // name a test or benchmark chose (done-*, pending-*, some-job) and keeps the answer it always had.
    private static bool Unknown(StandInServer server, string jobId) =>
        Guid.TryParseExact(jobId, "D", out _) && server.Creations.Job(jobId) is null && !server.Script.Knows(jobId);

    // "reducto://<uuid>.pdf", escaped or not, with or without the scheme or extension.
    private static Guid? IssuedFileKey(string fileId)
    {
        var id = Uri.UnescapeDataString(fileId);
        id = id.StartsWith("reducto://", StringComparison.Ordinal) ? id["reducto://".Length..] : id;
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        return Guid.TryParseExact(dot < 0 ? id : id[..dot], "D", out var key) ? key : null;
    }

    private static IResult NotFound(string body) => Results.Text(body, "application/json", statusCode: 404);
}
