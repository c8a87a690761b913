using Microsoft.Extensions.Options;

namespace Gateway.Upstream;

/// <summary>
/// Reducto's per-key limits (200 job polls/s, 1,000 requests/s) are shared by every team behind the one server key.
/// The gateway spends them itself, below those limits and fairly between teams, so callers get a 429 with a useful
/// retry hint from the gateway instead of drawing a vendor 429 that would throttle everyone. Cache hits spend nothing.
/// </summary>
internal sealed class UpstreamBudget(IOptions<UpstreamOptions> options, TimeProvider time) : IDisposable
{
    private readonly FairShareLimiter _jobPolls = new(options.Value.JobPollsPerSecond, time);
    private readonly FairShareLimiter _requests = new(options.Value.RequestsPerSecond, time);

    /// <summary>For a <c>GET /job</c> call, which counts against both limits.</summary>
    public async ValueTask<bool> AcquireJobPollAsync(string team, CancellationToken cancellationToken) =>
        await _jobPolls.AcquireAsync(team, options.Value.BudgetWait, cancellationToken) &&
        await _requests.AcquireAsync(team, options.Value.BudgetWait, cancellationToken);

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
}
