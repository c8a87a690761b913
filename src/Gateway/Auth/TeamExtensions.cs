namespace Gateway.Auth;

internal static class TeamExtensions
{
    public const string Anonymous = "anonymous";

    /// <summary>The caller's team, or "anonymous" when the gateway runs without keys.</summary>
    public static string Team(this HttpContext context) =>
        context.User is TeamPrincipal principal ? principal.Team : Anonymous;

    /// <summary>
    /// The caller as a team: its principal, or one "anonymous" team for every caller when the gateway runs without
    /// keys (which then owns all it creates, and reads all of it).
    /// </summary>
    public static TeamPrincipal Caller(this HttpContext context) => context.User as TeamPrincipal ?? AnonymousTeam;

    public static readonly TeamPrincipal AnonymousTeam = new(Anonymous, "none", Scope.All);
}
