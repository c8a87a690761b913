namespace Gateway.Auth;

internal static class TeamExtensions
{
    public const string Anonymous = "anonymous";

    /// <summary>The caller's team, or "anonymous" when the gateway runs without keys.</summary>
    public static string Team(this HttpContext context) =>
        context.User is TeamPrincipal principal ? principal.Team : Anonymous;
}
