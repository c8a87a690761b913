namespace Gateway.Teams;

/// <summary>Everything about each team in one place: its keys, what it may do, and its limits.</summary>
public sealed class TeamOptions
{
    public const string SectionName = "Teams";

    /// <summary>Team name to its settings. A team needs a key: here, in <c>Auth:ClientKeys</c>, or in the key directory.</summary>
    public Dictionary<string, TeamSettings> Teams { get; set; } = new(StringComparer.Ordinal);
}

public sealed class TeamSettings
{
    /// <summary>Requests per second to the gateway, hits included; past it the team gets 429 with <c>retry-after-ms</c>.</summary>
    public int? RequestsPerSecond { get; set; }

    /// <summary>Upstream calls per UTC day for the whole deployment; cache hits are free. Unset: no quota.</summary>
    public long? UpstreamCallsPerDay { get; set; }

    /// <summary>
    /// Credits the team's jobs may cost per UTC month (hard): once the deployment has booked this many, its new jobs are
    /// refused (429 <c>credit-budget-exceeded</c>) until 00:00 UTC on the 1st; reads are never refused. Jobs running
    /// when the line is crossed still finish and are booked, so the month can end above it. Unset: no budget.
    /// </summary>
    public decimal? CreditsPerMonth { get; set; }

    /// <summary>The share of <see cref="CreditsPerMonth"/> (1-100) past which each replica logs one warning a month. Unset: none.</summary>
    public int? CreditsWarnPercent { get; set; }

    /// <summary>
    /// Whether a job creation of the team's that asks for the same document and output-affecting options as a job the
    /// team created and that Completed (and can still be served) gets that job instead of a new one: no upstream call,
    /// no credits. Off by default: a team may want a fresh run (a model update, a document changed behind the same
    /// URL), and <c>Cache-Control: no-cache</c> asks for one on any request. Reuse never crosses teams.
    /// </summary>
    public bool ReuseCompletedJobs { get; set; }

    /// <summary>What the team may do (<c>jobs:read</c>, <c>jobs:run</c>, <c>uploads</c>, <c>jobs:list</c>, <c>webhooks</c>). Unset: everything.</summary>
    public List<string>? Scopes { get; set; }

    /// <summary>
    /// Teams whose jobs this team may read (a search indexer reading what ingestion parsed); never cancel or delete.
    /// Reloaded with the keys.
    /// </summary>
    public List<string>? ReadsJobsOf { get; set; }

    /// <summary>Key id (public: shown in logs, metrics and usage) to the key. Several keys let a team rotate with overlap.</summary>
    public Dictionary<string, TeamKey> Keys { get; set; } = new(StringComparer.Ordinal);
}

public sealed class TeamKey
{
    /// <summary><c>sha256:&lt;64 hex digits&gt;</c> of the key (preferred), or the key itself, hashed at load.</summary>
    public string? Key { get; set; }

    /// <summary>When the key stops working (UTC); unset, it never expires.</summary>
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>A revoked key: refused at once, kept in configuration so its refusal can say so.</summary>
    public bool Disabled { get; set; }
}
