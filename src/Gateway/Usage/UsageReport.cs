using Gateway.Auth;
using Gateway.Credits;
using Gateway.Teams;

namespace Gateway.Usage;

/// <summary>A team's usage as <c>GET /usage</c> answers it.</summary>
/// <param name="Scope"><c>deployment</c> when the figures are every replica's (from Redis), <c>replica</c> when only this one's.</param>
/// <param name="Credits">What the team's finished jobs cost, booked once each to the team that created them.</param>
internal sealed record UsageReport(
    string Team, string Scope, UsagePeriod Today, UsagePeriod LastHour, QuotaReport? Quota, IReadOnlyList<KeyReport> Keys, CreditsReport Credits)
{
    public static UsageReport For(string team, bool shared, UsageCounts today, UsageCounts lastHour, QuotaView? quota, KeyTable keys, CreditsReport credits) => new(
        team,
        shared ? "deployment" : "replica",
        UsagePeriod.From(today),
        UsagePeriod.From(lastHour),
        quota is { } q ? new QuotaReport(q.Limit, q.Used, q.Remaining, q.ResetsAt) : null,
        [.. keys.Keys.Where(key => key.Team == team).Select(static key => new KeyReport(key.KeyId, key.NotAfter, key.Disabled))],
        credits);
}

internal sealed record UsagePeriod(
    long Requests, long CacheHits, long SharedAnswers, long UpstreamCalls, ThrottledReport Throttled, long JobsCreated, long FilesCreated,
    long CreationsForwarded, long CreationsReplayed, long RetriesRecognised, long CreationsReused)
{
    public static UsagePeriod From(UsageCounts counts) => new(
        counts[UsageCounter.Requests], counts[UsageCounter.CacheHits], counts[UsageCounter.SharedAnswers], counts[UsageCounter.UpstreamCalls],
        new ThrottledReport(counts[UsageCounter.ThrottledBudget], counts[UsageCounter.ThrottledTeamLimit], counts[UsageCounter.ThrottledQuota],
            counts[UsageCounter.ThrottledUpstream]),
        counts[UsageCounter.JobsCreated], counts[UsageCounter.FilesCreated],
        counts[UsageCounter.CreationsForwarded], counts[UsageCounter.CreationsReplayed], counts[UsageCounter.RetriesRecognised],
        counts[UsageCounter.CreationsReused]);
}

/// <summary>429 answers by the limit that tripped: the shared upstream budget, the team's ceiling, its quota, or Reducto's own.</summary>
internal sealed record ThrottledReport(long UpstreamBudget, long TeamLimit, long Quota, long Reducto);

internal sealed record QuotaReport(long UpstreamCallsPerDay, long Used, long Remaining, DateTimeOffset ResetsAt);

/// <summary>A key by its public id: never the key or its hash.</summary>
internal sealed record KeyReport(string Id, DateTimeOffset? NotAfter, bool Disabled);

/// <summary>Every team's usage, for the operators.</summary>
internal sealed record UsageOverview(string Scope, IReadOnlyList<UsageReport> Teams);
