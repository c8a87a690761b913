using System.Net.Http.Headers;
using System.Text.Json;

namespace CompletionPoll;

/// <summary>
/// One job that turns Completed during the load, polled like the load's own jobs (one poll per interval, on a fixed
/// schedule) until an answer says Completed. Once its webhook has passed through the relay it is polled every probe
/// interval instead, so what is measured is how soon the gateway answers Completed, not how long the poller slept.
/// </summary>
internal sealed class TrackedJob(string id, bool hooked, int target)
{
    private readonly TaskCompletionSource _notified = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public bool Hooked { get; } = hooked;

    public int Target { get; } = target;

    public DateTimeOffset? FirstPollAt { get; private set; }

    public DateTimeOffset? FirstAnswerAt { get; private set; }

    public DateTimeOffset? SeenAt { get; private set; }

    public DateTimeOffset? NotifiedAt { get; private set; }

    public int? RelayStatus { get; set; }

    public int Polls { get; private set; }

    public int ProbePolls { get; private set; }

    public int Refusals { get; private set; }

    public int Errors { get; private set; }

    public void Notify()
    {
        NotifiedAt = DateTimeOffset.UtcNow;
        _notified.TrySetResult();
    }

    public async Task RunAsync(HttpClient http, Uri target, string key, DateTimeOffset firstAt, TimeSpan every, TimeSpan probe, CancellationToken deadline)
    {
        var next = firstAt;
        while (await WaitAsync(next, deadline))
        {
            if (await ReadAsync(http, target, key, deadline))
            {
                return;
            }

            // Behind schedule after a slow answer: the next poll goes at once, not a burst to catch up.
            var now = DateTimeOffset.UtcNow;
            next = _notified.Task.IsCompleted ? now + probe : Later(next + every, now);
        }
    }

    private async Task<bool> WaitAsync(DateTimeOffset until, CancellationToken deadline)
    {
        var wait = until - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            // A notice wakes the poller early, once; after it the probe interval is the schedule.
            var sleep = Task.Delay(wait, deadline);
            await Task.WhenAny(sleep, _notified.Task.IsCompleted ? sleep : _notified.Task);
        }

        return !deadline.IsCancellationRequested;
    }

    private async Task<bool> ReadAsync(HttpClient http, Uri target, string key, CancellationToken deadline)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target, "job/" + Id));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        FirstPollAt ??= DateTimeOffset.UtcNow;
        Polls++;
        if (_notified.Task.IsCompleted)
        {
            ProbePolls++;
        }

        try
        {
            using var response = await http.SendAsync(request, deadline);
            var body = await response.Content.ReadAsByteArrayAsync(deadline);
            var at = DateTimeOffset.UtcNow;
            if (!response.IsSuccessStatusCode)
            {
                Refusals++;
                return false;
            }

            FirstAnswerAt ??= at;
            if (!IsCompleted(body))
            {
                return false;
            }

            SeenAt = at;
            return true;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            Errors++;
            return false;
        }
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static bool IsCompleted(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.String
                && status.GetString() == "Completed";
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
