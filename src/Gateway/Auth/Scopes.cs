namespace Gateway.Auth;

/// <summary>What a team may do. A team's key carries its team's scopes; every endpoint names the one it needs.</summary>
[Flags]
internal enum Scope
{
    None = 0,
    JobsRead = 1,
    JobsRun = 2,
    Uploads = 4,
    JobsList = 8,
    Webhooks = 16,
    All = JobsRead | JobsRun | Uploads | JobsList | Webhooks,
}

/// <summary>Endpoint metadata: the scope a team's key needs here. <see cref="Scope.None"/>: any team key.</summary>
internal sealed record RequiredScope(Scope Scope);

internal static class Scopes
{
    /// <summary>A forwarded route's scope, from its <c>Metadata:Scope</c> in the <c>ReverseProxy</c> section.</summary>
    public const string MetadataKey = "Scope";

    /// <summary>The configuration names, as teams and routes write them; <c>any</c> only for routes.</summary>
    public static readonly IReadOnlyDictionary<string, Scope> Names = new Dictionary<string, Scope>(StringComparer.Ordinal)
    {
        ["jobs:read"] = Scope.JobsRead,
        ["jobs:run"] = Scope.JobsRun,
        ["uploads"] = Scope.Uploads,
        ["jobs:list"] = Scope.JobsList,
        ["webhooks"] = Scope.Webhooks,
    };

    public const string Any = "any";

    public static string Known => string.Join(", ", Names.Keys);

    /// <summary>A team's scopes: unset means everything a team could do before scopes existed.</summary>
    public static Scope Parse(IEnumerable<string>? names) =>
        names is null ? Scope.All : names.Aggregate(Scope.None, static (all, name) => all | Names.GetValueOrDefault(name));

    public static string Describe(Scope scope) =>
        string.Join(' ', Names.Where(pair => scope.HasFlag(pair.Value)).Select(static pair => pair.Key));
}
