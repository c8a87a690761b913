using System.Globalization;
using System.Text.Json;

namespace LongPoll;

/// <summary>Markdown tables of scenario results, and the one-line summary printed after each run.</summary>
internal static class Report
{
    public static int Write(string[] files, TextWriter output)
    {
        // Rounds of one scenario side by side: A.r1, A.r2, B.r1, ...
        var results = files.Select(f => JsonSerializer.Deserialize<ScenarioResult>(File.ReadAllBytes(f), Json.Options)!)
            .OrderBy(static r => r.Name, StringComparer.Ordinal).ToArray();
        output.WriteLine("| scenario | callers | upstream GET /job for the job (while callers arrive + after) | requests by callers | first caller's terminal answer, ms after Completed | last caller's | errors |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            output.WriteLine($"| {r.Name}: {r.Description} | {r.Callers}, {r.Mode} | {N(r.UpstreamReads)} ({N(r.UpstreamReadsWhileArriving)} + {N(r.UpstreamReadsAfterArrival())}) | " +
                $"{N(r.Requests)} | {Ms(r.FirstDelayMs)} | {Ms(r.LastDelayMs)} | {Errors(r)} |");
        }

        output.WriteLine();
        output.WriteLine("| scenario | upstream reads after Completed | shortest / longest gap between upstream reads once callers arrived, ms | Pending answers to callers | answers without Preference-Applied | callers unfinished | webhook |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            output.WriteLine($"| {r.Name} | {r.UpstreamReadsAfterCompletion} | {Ms(r.MinGapAfterArrivalMs)} / {Ms(r.MaxGapAfterArrivalMs)} | {N(r.PendingAnswers)} | " +
                $"{(r.Mode.StartsWith("Prefer", StringComparison.Ordinal) ? N(r.NoPreferenceApplied) : "n/a")} | {r.UnfinishedCallers} | {Webhook(r)} |");
        }

        // Few enough to list: when each upstream read after the callers' arrival came, which shows the watcher's
        // rhythm, a skipped interval, or nginx refreshing an expired entry more than once.
        output.WriteLine();
        output.WriteLine("| scenario | upstream reads once callers arrived, s from Completed |");
        output.WriteLine("|---|---|");
        foreach (var r in results.Where(static r => r.UpstreamReadsAfterArrival() <= 40))
        {
            var arrived = (r.StartedAt - r.CompletesAt!.Value).TotalMilliseconds + r.SpreadMs;
            var times = r.UpstreamReadsMs.Where(t => t >= arrived).Select(static t => (t / 1000).ToString("0.000", CultureInfo.InvariantCulture));
            output.WriteLine($"| {r.Name} | {string.Join(", ", times)} |");
        }

        return 0;
    }

    public static string Line(ScenarioResult r) =>
        $"{r.Name}: upstream {r.UpstreamReads} ({r.UpstreamReadsWhileArriving} while arriving, {r.UpstreamReadsAfterCompletion} after Completed), " +
        $"requests {r.Requests}, first {Ms(r.FirstDelayMs)} ms, last {Ms(r.LastDelayMs)} ms, errors {Errors(r)}, unfinished {r.UnfinishedCallers}, webhook {Webhook(r)}";

    private static int UpstreamReadsAfterArrival(this ScenarioResult r) => r.UpstreamReads - r.UpstreamReadsWhileArriving;

    private static string Errors(ScenarioResult r)
    {
        if (r.Errors == 0)
        {
            return "0";
        }

        var parts = r.Non2xx.OrderBy(static p => p.Key).Select(static p => $"{N(p.Value)}× {p.Key}")
            .Concat(r.SocketErrors > 0 ? [$"{N(r.SocketErrors)} socket"] : [])
            .Concat(r.Timeouts > 0 ? [$"{N(r.Timeouts)} timeout"] : []);
        return N(r.Errors) + " (" + string.Join(", ", parts) + ")";
    }

    private static string Webhook(ScenarioResult r) => r.WebhookSentMs is not { } sent
        ? "none"
        : $"sent {Ms(sent)} ms after Completed, " + (r.WebhookStatus is { } status ? status.ToString(CultureInfo.InvariantCulture) : "failed: " + r.WebhookError);

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double? value) => value is { } v ? v.ToString(Math.Abs(v) < 100 ? "0.0" : "N0", CultureInfo.InvariantCulture) : "-";
}
