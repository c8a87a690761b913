// The jobs that complete during a bench/manyjobs.sh load: polls each at the load's per-job rate until it reads
// Completed, and relays the stand-in's webhook to the gateway for the hooked half only, so one load measures both.
// At the end it asks the stand-in when each job turned Completed and writes one JSON result.
//
//   CompletionPoll --targets URL[,URL...] --standin URL --key K --tag T --plain N --hooked N --every-ms MS
//       --complete-after S --spread S --deadline S --hook-port P [--hook-to URL] [--probe-ms 10] [--seed N] --out FILE
using System.Text.Json;
using CompletionPoll;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: CompletionPoll --targets URL[,URL...] --standin URL --key K --tag T --plain N --hooked N --every-ms MS");
    Console.Error.WriteLine("       --complete-after S --spread S --deadline S --hook-port P [--hook-to URL] [--probe-ms 10] [--seed N] --out FILE");
    return 2;
}

var settings = Settings.Parse(args);
var random = new Random(settings.Seed);
// The two variants interleaved, so both meet the same gateways and the same moments of the load.
var jobs = Enumerable.Range(0, settings.Plain).Select(i => (hooked: false, at: (i + 0.5) / settings.Plain))
    .Concat(Enumerable.Range(0, settings.Hooked).Select(i => (hooked: true, at: (i + 0.5) / settings.Hooked)))
    .OrderBy(static p => p.at)
    .Select((p, i) => new TrackedJob(
        $"after-{settings.CompleteAfter + random.Next(settings.Spread)}s-{settings.Tag}-{(p.hooked ? "hook" : "plain")}-{i}", p.hooked, i % settings.Targets.Count))
    .ToArray();
var byId = jobs.ToDictionary(static j => j.Id, StringComparer.Ordinal);

// One pool for every poll: a poll waiting on the gateway holds its own connection, as separate callers would.
using var http = new HttpClient(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    MaxConnectionsPerServer = int.MaxValue,
    ConnectTimeout = TimeSpan.FromSeconds(5),
})
{
    Timeout = TimeSpan.FromSeconds(15),
};

await using var relay = await WebhookRelay.StartAsync(settings.HookPort, settings.HookTo, byId, http);

using var deadline = new CancellationTokenSource(settings.Deadline);
var startedAt = DateTimeOffset.UtcNow.AddMilliseconds(50);
await Task.WhenAll(jobs.Select((job, i) => job.RunAsync(
    http, settings.Targets[job.Target], settings.Key, startedAt + settings.Every * i / jobs.Length, settings.Every, settings.Probe, deadline.Token)));

// The stand-in's own record of each job's completion: its first read plus the seconds in the id.
using var stats = JsonDocument.Parse(await http.GetByteArrayAsync(new Uri(settings.StandIn, "_standin/stats")));
var completions = stats.RootElement.GetProperty("completions");
var results = jobs.Select(job =>
{
    DateTimeOffset? completesAt = completions.TryGetProperty(job.Id, out var at) ? at.GetDateTimeOffset() : null;
    double? Since(DateTimeOffset? t) => t is { } a && completesAt is { } c ? (a - c).TotalMilliseconds : null;
    return new JobResult(job.Id, job.Hooked, job.Target, completesAt?.ToUnixTimeMilliseconds(), job.FirstPollAt?.ToUnixTimeMilliseconds(),
        job.FirstAnswerAt?.ToUnixTimeMilliseconds(), Since(job.SeenAt), Since(job.NotifiedAt), job.RelayStatus, job.Polls, job.ProbePolls,
        job.Refusals, job.Errors);
}).ToArray();

var result = new RunResult(settings.Tag, settings.Every.TotalMilliseconds, settings.Probe.TotalMilliseconds, startedAt.ToUnixTimeMilliseconds(),
    Summary.Of(results.Where(static r => !r.Hooked)), Summary.Of(results.Where(static r => r.Hooked)), results);
await File.WriteAllBytesAsync(settings.Out, JsonSerializer.SerializeToUtf8Bytes(result, Json.Options));
Console.WriteLine($"{settings.Tag}: no webhook {result.Plain}; webhook {result.Hooked}");
return 0;
