namespace Reducto.StandIn;

/// <summary>
/// <c>GET /_standin/stats</c>: what the stand-in has seen and done, for benchmarks that run it as a separate process.
/// Times are the stand-in's own clock, so a harness on the same machine can set them against its callers' clocks.
/// With <c>?job=ID</c> only that job is reported, with the arrival time of each of its reads (from the journal,
/// which keeps the most recent <see cref="RequestJournal.MaxRecords"/> requests). Creations (<c>created</c> per
/// route, <c>creations</c> in all, per <c>Idempotency-Key</c>) and the cancels and deletes received are never
/// filtered by job.
/// </summary>
internal static class StandInStats
{
    /// <summary>Reducto's paths never start with an underscore, so this one cannot shadow any of them.</summary>
    public const string Path = "/_standin/stats";

    public static IResult Get(StandInServer server, string? job)
    {
        bool Selected(string id) => job is null || id == job;
        return Results.Json(new
        {
            now = DateTimeOffset.UtcNow,
            requests = server.Requests.Count,
            jobReads = server.Requests.JobReads.Where(r => Selected(r.Key)).ToDictionary(),
            completions = server.Jobs.Completions.Where(c => Selected(c.Key)).ToDictionary(),
            webhooks = (server.Webhook?.Deliveries ?? []).Where(d => Selected(d.Key)).ToDictionary(),
            created = server.Creations.PerRoute,
            creations = server.Creations.Count,
            idempotencyKeys = server.Creations.PerIdempotencyKey,
            cancels = server.Creations.Cancels,
            jobDeletes = server.Creations.JobDeletes,
            uploadDeletes = server.Creations.UploadDeletes,
            readTimes = job is null
                ? null
                : server.Requests.All.Where(r => r.Method == HttpMethods.Get && r.Path == "/job/" + job).Select(static r => r.At).ToArray(),
        });
    }
}
