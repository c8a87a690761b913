using Gateway.Teams;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

/// <summary>The keys, wherever they are configured: one per team in <c>Auth:ClientKeys</c>, several under <c>Teams:&lt;team&gt;:Keys</c>.</summary>
internal sealed class GatewayKeyOptionsValidator(IOptions<TeamOptions> teams) : IValidateOptions<GatewayKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayKeyOptions options)
    {
        var failures = Check(options, teams.Value);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Check(GatewayKeyOptions options, TeamOptions teams)
    {
        var failures = new List<string>();
        var teamKeys = teams.Teams.Sum(static team => team.Value.Keys.Count);
        if (options.ClientKeys.Count == 0 && teamKeys == 0 && !options.AllowAnonymous)
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys has no keys. Configure {GatewayKeyOptions.SectionName}:ClientKeys:<team> " +
                $"or {TeamOptions.SectionName}:<team>:Keys:<key id>:Key (preferably sha256:<hex>), or set {GatewayKeyOptions.SectionName}:AllowAnonymous to true to run without keys.");
        }

        foreach (var (team, key) in options.ClientKeys)
        {
            if (!KeyFormat.IsName(team))
            {
                failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys:{team}: team names are 1-64 of A-Z, a-z, 0-9, '_', '-', '.'.");
            }

            if (KeyFormat.Problem($"{GatewayKeyOptions.SectionName}:ClientKeys:{team}", key) is { } problem)
            {
                failures.Add(problem);
            }
        }

        foreach (var (team, settings) in teams.Teams)
        {
            if (settings.Keys.Count == 0 && !options.ClientKeys.ContainsKey(team))
            {
                failures.Add($"{TeamOptions.SectionName}:{team} has no key: add {TeamOptions.SectionName}:{team}:Keys:<key id>:Key or " +
                    $"{GatewayKeyOptions.SectionName}:ClientKeys:{team}; settings for a team without a key apply to nobody.");
            }
        }

        if (options.AdminKey is { Length: > 0 } admin && KeyFormat.Problem($"{GatewayKeyOptions.SectionName}:AdminKey", admin) is { } adminProblem)
        {
            failures.Add(adminProblem);
        }

        if (options.ExpiryWarning < TimeSpan.Zero || options.ExpiryWarning > TimeSpan.FromDays(365))
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:ExpiryWarning must be between 00:00:00 and 365.00:00:00.");
        }

        return failures;
    }
}
