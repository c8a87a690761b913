using System.Text;

namespace Reducto.StandIn;

/// <summary>The routes, with Reducto's auth quirks: no header gets nginx's HTML 403, a wrong key a JSON 401.</summary>
internal static class StandInEndpoints
{
    private const string Nginx403 =
        "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

    private const int SliceBytes = 64 * 1024;

    public static WebApplication MapStandIn(this WebApplication app, StandInServer server)
    {
        app.Use(async (context, next) =>
        {
            // The stand-in's own instrumentation is not Reducto's API: it asks for no key and does not count itself.
            if (context.Request.Path.Equals(StandInStats.Path, StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            server.Requests.Record(context.Request);
            if (await RejectedAsync(context, server.Options))
            {
                return;
            }

            await next(context);
        });

        app.MapGet("/job/{job_id}", (string job_id, HttpContext context) => ServeJobAsync(job_id, context, server));
        app.MapCreations(server);
        app.MapPost("/configure_webhook", () => Results.Json("https://app.svix.com/portal/stand-in"));
        app.MapGet("/jobs", (HttpRequest request) => JobListing.List(request, server));
        app.MapGet("/version", () => Results.Json("stand-in"));
        app.MapGet(StandInStats.Path, (string? job) => StandInStats.Get(server, job));
        return app;
    }

    private static async Task<bool> RejectedAsync(HttpContext context, StandInOptions options)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            context.Response.StatusCode = 403;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync(Nginx403);
            return true;
        }

        if (!string.IsNullOrEmpty(options.ApiKey) && authorization != "Bearer " + options.ApiKey)
        {
            context.Response.StatusCode = 401;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"error\":{\"code\":401,\"name\":\"AUTH_ERROR\",\"message\":\"Invalid access token\"}}");
            return true;
        }

        return false;
    }

    private static async Task ServeJobAsync(string jobId, HttpContext context, StandInServer server)
    {
        var script = server.Script;
        var aborted = context.RequestAborted;
        if (server.Options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(server.Options.Latency, aborted);
        }

        if (script.GateFor(jobId) is { } gate)
        {
            await gate.PassAsync(aborted);
        }

        if (script.DelayFor(jobId) is { } delay)
        {
            await Task.Delay(delay, aborted);
        }

        if (script.AbortsFor(jobId))
        {
            context.Abort();
            return;
        }

        var response = script.ResponseFor(jobId) ?? server.Jobs.Resolve(jobId);
        if (response.StatusCode == StatusCodes.Status200OK && server.Creations.Job(jobId) is not null)
        {
            server.Served.RecordRead(jobId, response.Body);
        }
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        context.Response.ContentLength = response.Body.Length;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        var send = script.TruncationFor(jobId) ?? response.Body.Length;
        for (var offset = 0; offset < send; offset += SliceBytes)
        {
            await context.Response.Body.WriteAsync(response.Body.AsMemory(offset, Math.Min(SliceBytes, send - offset)), aborted);
        }

        if (send < response.Body.Length)
        {
            await context.Response.Body.FlushAsync(aborted);
            context.Abort();
        }
    }

    public static string Describe(StandInOptions options, IEnumerable<string> addresses) =>
        new StringBuilder()
            .Append("Reducto stand-in listening on ").AppendJoin(", ", addresses)
            .Append("; expects Authorization: Bearer ").Append(string.IsNullOrEmpty(options.ApiKey) ? "<any>" : options.ApiKey)
            .Append(". Try GET /job/done-64k, /job/pending-x, /job/failed-x, /job/after-10s-x, /job/status-429-x.")
            .Append(" Creates jobs on POST /parse_async (and the other *_async routes) and synchronously on POST /parse, /extract,")
            .Append(" /split, /edit, /classify, /pipeline (" + SyncResults.SizeHeader + ": N pads the answer to N bytes); lists them on GET /jobs;")
            .Append(" takes POST /upload, DELETE /upload/{file_id}, POST /cancel/{job_id}, DELETE /job/{job_id};")
            .Append(" " + CreationEndpoints.DelayHeader + ": N holds a creation's answer N ms. Counts at " + StandInStats.Path + ".")
            .ToString();
}
