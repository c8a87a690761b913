using System.Text.Json;

namespace LongPoll;

/// <summary>Runs one scenario's callers to the end (or the deadline), then asks the stand-in what reached it.</summary>
internal static class Scenario
{
    public static async Task<int> RunAsync(RunSettings settings)
    {
        // One pool for every caller: each in-flight request still gets a connection of its own, as separate
        // clients would, and a keep-alive connection is reused by the next poll instead of a fresh handshake.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            Timeout = TimeSpan.FromSeconds((settings.WaitSeconds ?? 0) + 15),
        };

        var tally = new Tally();
        using var deadline = new CancellationTokenSource(settings.Deadline);
        var startedAt = DateTimeOffset.UtcNow.AddMilliseconds(100);
        var callers = Enumerable.Range(0, settings.Callers).Select(i =>
        {
            var caller = new Caller(http, settings.Targets[i % settings.Targets.Count], settings, tally);
            return caller.RunAsync(startedAt + settings.Spread * i / settings.Callers, deadline.Token);
        });
        await Task.WhenAll(callers);

        // Anything the watchers or the webhook still had in flight lands before the stats are read.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var upstream = await UpstreamStats.FetchAsync(http, settings.StandIn, settings.Job);
        var result = Summarise(settings, tally, upstream, startedAt);
        await File.WriteAllBytesAsync(settings.Out, JsonSerializer.SerializeToUtf8Bytes(result, Json.Options));
        Console.WriteLine(Report.Line(result));
        return result.UnfinishedCallers == 0 ? 0 : 1;
    }

    private static ScenarioResult Summarise(RunSettings settings, Tally tally, UpstreamStats upstream, DateTimeOffset startedAt)
    {
        var completesAt = upstream.CompletesAt;
        double? Since(DateTimeOffset? at) => at is { } a && completesAt is { } c ? (a - c).TotalMilliseconds : null;
        var arrivedBy = startedAt + settings.Spread;
        var afterArrival = upstream.ReadTimes.Where(t => t >= arrivedBy).ToArray();
        var gaps = afterArrival.Zip(afterArrival.Skip(1), static (a, b) => (b - a).TotalMilliseconds).ToArray();
        return new ScenarioResult(
            settings.Name, settings.Description, settings.Job, settings.Callers, settings.Targets.Count,
            settings.WaitSeconds is { } wait ? $"Prefer: wait={wait}" : $"poll every {settings.Every.TotalSeconds:0.#} s",
            startedAt, settings.Spread.TotalMilliseconds, tally.Requests, tally.Pending, tally.Terminal, settings.Callers - tally.Terminal,
            tally.Non2xx, tally.SocketErrors, tally.Timeouts, tally.NoPreferenceApplied,
            completesAt, Since(tally.FirstTerminal), Since(tally.LastTerminal),
            upstream.Reads, upstream.ReadTimes.Count(t => t < arrivedBy),
            completesAt is { } done ? upstream.ReadTimes.Count(t => t >= done) : 0,
            gaps.Length == 0 ? null : gaps.Min(), gaps.Length == 0 ? null : gaps.Max(), [.. upstream.ReadTimes.Select(t => Since(t) ?? 0)],
            Since(upstream.WebhookSentAt), upstream.WebhookStatus, upstream.WebhookError);
    }
}
