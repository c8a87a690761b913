using Microsoft.Extensions.Options;

namespace Gateway.Upstream;

/// <summary>
/// Reducto's per-key limits (200 job polls/s, 1,000 requests/s) are shared by every team behind the one server key.
/// The gateway spends them itself, below those limits and fairly between teams, so callers get a 429 with a useful
/// retry hint from the gateway instead of drawing a vendor 429 that would throttle everyone. Cache hits spend nothing.
/// </summary>
/// <param name="reserveForWebhooks">Keep a slot a replica for completion webhooks' reads (<see cref="FairShareLimiter"/>):
/// true when the webhook endpoint is on.</param>
internal sealed class UpstreamBudget(IOptions<UpstreamOptions> options, TimeProvider time, bool reserveForWebhooks = false) : IDisposable
{
    private readonly FairShareLimiter _jobPolls = new(options.Value.JobPollsPerSecond, time, reserveForWebhooks);
    private readonly FairShareLimiter _requests = new(options.Value.RequestsPerSecond, time, reserveForWebhooks);
    private int _replicas = 1;

    /// <summary>How many replicas spend the configured rates together; this one gets an equal share.</summary>
    public int Replicas => Volatile.Read(ref _replicas);

    /// <summary>This replica's share of the job-poll rate.</summary>
    public int JobPollsPerSecond => Share(options.Value.JobPollsPerSecond);

    /// <summary>This replica's share of the overall rate.</summary>
    public int RequestsPerSecond => Share(options.Value.RequestsPerSecond);

    /// <summary>
    /// Splits the configured rates evenly between <paramref name="replicas"/> replicas, so the deployment as a whole
    /// stays under them however many replicas run.
    /// </summary>
    public void ShareWith(int replicas)
    {
        if (Interlocked.Exchange(ref _replicas, Math.Max(replicas, 1)) != Math.Max(replicas, 1))
        {
            _jobPolls.SetRate(JobPollsPerSecond);
            _requests.SetRate(RequestsPerSecond);
        }
    }

    /// <summary>For a <c>GET /job</c> call, which counts against both limits.</summary>
    /// <param name="lane">Where the call waits if it cannot go at once (<see cref="BudgetLane"/>).</param>
    public async ValueTask<bool> AcquireJobPollAsync(string team, CancellationToken cancellationToken, BudgetLane lane = BudgetLane.Caller) =>
        await _jobPolls.AcquireAsync(team, options.Value.BudgetWait, cancellationToken, lane) &&
        await _requests.AcquireAsync(team, options.Value.BudgetWait, cancellationToken, lane);

    /// <summary>Job polls waiting for a slot now (callers, webhook reads and refreshes).</summary>
    public int JobPollsWaiting => _jobPolls.Waiting;

    /// <summary>Whether a job poll asked for now would be admitted without waiting.</summary>
    public bool JobPollSlotFree => _jobPolls.HasSlotNow && _requests.HasSlotNow;

    /// <summary>For any other forwarded call.</summary>
    public ValueTask<bool> AcquireRequestAsync(string team, CancellationToken cancellationToken) =>
        _requests.AcquireAsync(team, options.Value.BudgetWait, cancellationToken);

    public TimeSpan RetryAfter(bool jobPoll) =>
        RetryAfterHint.Bounded(jobPoll ? Max(_jobPolls.EstimatedWait, _requests.EstimatedWait) : _requests.EstimatedWait, TimeSpan.FromSeconds(1));

    public void Dispose()
    {
        _jobPolls.Dispose();
        _requests.Dispose();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private int Share(int rate) => Math.Max(rate / Replicas, 1);
}
