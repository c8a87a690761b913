using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.Teams;

/// <summary>
/// The hard ceilings of <c>Teams:&lt;team&gt;:RequestsPerSecond</c>, one token bucket per team, partitioned by team name
/// so that both the request pipeline's rate limiter and the direct hit path (Direct/) draw on the same tokens.
/// </summary>
internal sealed class TeamRequestLimiter(IOptions<TeamOptions> teams) : IDisposable
{
    private readonly Dictionary<string, TeamSettings> _limits = teams.Value.Teams;

    /// <summary>Every team's limiter, keyed by team; teams without a ceiling are never limited.</summary>
    public PartitionedRateLimiter<string> ByTeam { get; } = PartitionedRateLimiter.Create<string, string>(team =>
        teams.Value.Teams.TryGetValue(team, out var limit) && limit.RequestsPerSecond is { } rate
            ? RateLimitPartition.GetTokenBucketLimiter(team, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate,
                TokensPerPeriod = rate,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(string.Empty));

    /// <summary>Whether the team has a ceiling at all: the others never need a lease.</summary>
    public bool Limits(string team) => _limits.TryGetValue(team, out var limit) && limit.RequestsPerSecond is not null;

    public void Dispose() => ByTeam.Dispose();
}
