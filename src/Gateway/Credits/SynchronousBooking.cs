using Gateway.Jobs;

namespace Gateway.Credits;

/// <summary>
/// A synchronous creation (<c>POST /parse</c> and its kind) answers with a finished job, but its usage sits somewhere in
/// an answer that streams through unread. Its job is read once through the job path instead, in the background: one
/// budgeted upstream read that books its credits as every terminal read does, to the owner just recorded, and leaves
/// the job in the cache for the caller's next <c>GET /job</c>.
/// </summary>
internal sealed class SynchronousBooking(JobReader reader, ILogger<SynchronousBooking> logger)
{
    public static bool IsSynchronous(HttpRequest request) =>
        !(request.Path.Value ?? string.Empty).EndsWith("_async", StringComparison.OrdinalIgnoreCase);

    public void BookLater(string jobId, string team) => _ = ReadAsync(jobId, team);

    private async Task ReadAsync(string jobId, string team)
    {
        try
        {
            await reader.ReadAsync(jobId, team, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.SynchronousReadFailed(jobId, exception);
        }
    }
}
