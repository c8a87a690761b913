using System.Net.Http.Headers;
using System.Text.Json;

namespace LongPoll;

/// <summary>
/// One caller of the job: long-polls (a new request as soon as a wait ends without a final answer) or polls once per
/// interval, until a 2xx body whose status is Completed or Failed. After an error it waits one interval, as an SDK's
/// retry would, so a failing system is not hammered and its errors stay countable.
/// </summary>
internal sealed class Caller(HttpClient http, Uri target, RunSettings settings, Tally tally)
{
    private enum Outcome { Terminal, Pending, Error, Stopped }

    public async Task RunAsync(DateTimeOffset startAt, CancellationToken deadline)
    {
        var next = startAt;
        while (await DelayUntilAsync(next, deadline))
        {
            next += settings.Every;
            switch (await ReadOnceAsync(deadline))
            {
                case Outcome.Terminal or Outcome.Stopped:
                    return;
                case Outcome.Pending when settings.WaitSeconds is not null:
                    next = DateTimeOffset.UtcNow;
                    break;
                case Outcome.Error:
                    next = DateTimeOffset.UtcNow + settings.Every;
                    break;
            }
        }
    }

    private async Task<Outcome> ReadOnceAsync(CancellationToken deadline)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target, "job/" + settings.Job));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Key);
        if (settings.WaitSeconds is { } wait)
        {
            request.Headers.TryAddWithoutValidation("Prefer", "wait=" + wait);
        }

        tally.Request();
        try
        {
            using var response = await http.SendAsync(request, deadline);
            var body = await response.Content.ReadAsByteArrayAsync(deadline);
            var at = DateTimeOffset.UtcNow;
            if (!response.IsSuccessStatusCode)
            {
                tally.Status((int)response.StatusCode);
                return Outcome.Error;
            }

            if (settings.WaitSeconds is not null && !response.Headers.Contains("Preference-Applied"))
            {
                tally.PreferenceNotApplied();
            }

            if (IsTerminal(body))
            {
                tally.TerminalAnswer(at);
                return Outcome.Terminal;
            }

            tally.PendingAnswer();
            return Outcome.Pending;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Outcome.Stopped;
        }
        catch (TaskCanceledException)
        {
            tally.Timeout();
            return Outcome.Error;
        }
        catch (HttpRequestException)
        {
            tally.SocketError();
            return Outcome.Error;
        }
    }

    private static async Task<bool> DelayUntilAsync(DateTimeOffset at, CancellationToken deadline)
    {
        var wait = at - DateTimeOffset.UtcNow;
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, deadline);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return !deadline.IsCancellationRequested;
    }

    private static bool IsTerminal(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("status", out var status)
                && status.GetString() is "Completed" or "Failed";
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
