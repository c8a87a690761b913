using Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Gateway.Teams;

/// <summary>
/// Checks every team's limits at start-up. Data annotations are not applied to dictionary values, so a negative
/// ceiling used to start fine and then turn every request of that team into a 500 from the rate limiter. A limit for
/// a team that has no key is a typo that would silently cap nobody.
/// </summary>
internal sealed class TeamLimitOptionsValidator(IOptions<GatewayKeyOptions> keys) : IValidateOptions<TeamLimitOptions>
{
    public const int MaxRequestsPerSecond = 1_000_000;

    public ValidateOptionsResult Validate(string? name, TeamLimitOptions options)
    {
        var failures = new List<string>();
        foreach (var (team, limit) in options.Teams)
        {
            var setting = $"{TeamLimitOptions.SectionName}:{team}";
            if (limit.RequestsPerSecond is { } rate && rate is < 1 or > MaxRequestsPerSecond)
            {
                failures.Add($"{setting}:RequestsPerSecond must be between 1 and {MaxRequestsPerSecond}.");
            }

            if (!keys.Value.ClientKeys.ContainsKey(team))
            {
                failures.Add($"{setting} names no team in {GatewayKeyOptions.SectionName}:ClientKeys; a limit applies to a team with a key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
