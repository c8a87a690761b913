using Gateway.Jobs;

namespace Gateway.Webhooks;

/// <summary>
/// Acts on a completion notification: reads the job once through the normal read path (cache, cluster-wide single
/// flight, budget), which stores it and sends a notice that wakes every waiter on every replica. The read may join a
/// fetch already under way that still saw the job running, or Reducto's read side may lag its notification by a
/// moment, so a non-terminal answer is retried a few times, briefly.
/// </summary>
internal sealed class JobCompletion(JobReader reader, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<JobCompletion> logger)
{
    /// <summary>Upstream calls made for notifications are charged to this name in the budget and the metrics.</summary>
    public const string Team = "reducto-webhook";

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1600)];

    /// <summary>Starts the read and returns at once: the notifier should not wait on the upstream.</summary>
    public void Notify(string jobId) => _ = ReadUntilTerminalAsync(jobId);

    private async Task ReadUntilTerminalAsync(string jobId)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                // Fresh: the running answer shared before the notification is exactly what it must not be answered with.
                var read = await reader.ReadAsync(jobId, Team, stopping, ReadKind.Notified);
                if (read.EndsWait)
                {
                    logger.CompletionRead(jobId, read.StatusCode);
                    return;
                }

                if (attempt == RetryDelays.Length)
                {
                    logger.CompletionNotVisible(jobId, RetryDelays.Length + 1);
                    return;
                }

                await Task.Delay(RetryDelays[attempt], time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            logger.CompletionFailed(jobId, exception);
        }
    }
}
