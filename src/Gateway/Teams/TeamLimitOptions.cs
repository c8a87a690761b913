namespace Gateway.Teams;

/// <summary>Optional hard ceilings per team, for callers whose traffic must be capped whatever the fair share allows.</summary>
public sealed class TeamLimitOptions
{
    public const string SectionName = "Teams";

    /// <summary>Team name (as in <c>Auth:ClientKeys</c>) to its limits. Teams not listed have no ceiling of their own.</summary>
    public Dictionary<string, TeamLimit> Teams { get; set; } = new(StringComparer.Ordinal);
}

public sealed class TeamLimit
{
    /// <summary>Requests per second to the gateway, hits included; past it the team gets 429 with <c>retry-after-ms</c>.</summary>
    public int? RequestsPerSecond { get; set; }
}
