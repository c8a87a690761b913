using Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Gateway.Teams;

/// <summary>
/// Checks every team's settings. Data annotations are not applied to dictionary values, so a negative ceiling used
/// to start fine and then turn every request of that team into a 500 from the rate limiter. Whether each team has a
/// key is checked with the keys (<see cref="GatewayKeyOptionsValidator"/>), which see both places keys live.
/// </summary>
internal sealed class TeamOptionsValidator : IValidateOptions<TeamOptions>
{
    public const int MaxRequestsPerSecond = 1_000_000;
    public const long MaxUpstreamCallsPerDay = 1_000_000_000_000;
    public const decimal MaxCreditsPerMonth = 1_000_000_000_000m;

    public ValidateOptionsResult Validate(string? name, TeamOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Check(TeamOptions options)
    {
        var failures = new List<string>();
        foreach (var (team, settings) in options.Teams)
        {
            var setting = $"{TeamOptions.SectionName}:{team}";
            if (!KeyFormat.IsName(team))
            {
                failures.Add($"{setting}: team names are 1-64 of A-Z, a-z, 0-9, '_', '-', '.'.");
            }

            if (settings.RequestsPerSecond is { } rate && rate is < 1 or > MaxRequestsPerSecond)
            {
                failures.Add($"{setting}:RequestsPerSecond must be between 1 and {MaxRequestsPerSecond}.");
            }

            if (settings.UpstreamCallsPerDay is { } quota && quota is < 1 or > MaxUpstreamCallsPerDay)
            {
                failures.Add($"{setting}:UpstreamCallsPerDay must be between 1 and {MaxUpstreamCallsPerDay}.");
            }

            if (settings.CreditsPerMonth is { } budget && budget is <= 0 or > MaxCreditsPerMonth)
            {
                failures.Add($"{setting}:CreditsPerMonth must be above 0 and at most {MaxCreditsPerMonth}.");
            }

            if (settings.CreditsWarnPercent is { } warn && (warn is < 1 or > 100 || settings.CreditsPerMonth is null))
            {
                failures.Add($"{setting}:CreditsWarnPercent must be between 1 and 100, with CreditsPerMonth set.");
            }

            foreach (var scope in settings.Scopes ?? [])
            {
                if (!Scopes.Names.ContainsKey(scope))
                {
                    failures.Add($"{setting}:Scopes has '{scope}'; the scopes are {Scopes.Known}.");
                }
            }

            // Not quoted: a value here could be a key pasted into the wrong file of the key directory.
            if (settings.ReadsJobsOf?.Any(static other => !KeyFormat.IsName(other)) == true)
            {
                failures.Add($"{setting}:ReadsJobsOf must list team names (1-64 of A-Z, a-z, 0-9, '_', '-', '.').");
            }

            foreach (var (keyId, key) in settings.Keys)
            {
                var keySetting = $"{setting}:Keys:{keyId}";
                if (!KeyFormat.IsName(keyId))
                {
                    failures.Add($"{keySetting}: key ids are 1-64 of A-Z, a-z, 0-9, '_', '-', '.' (they show in logs and metrics).");
                }

                if (KeyFormat.Problem(keySetting + ":Key", key.Key) is { } problem)
                {
                    failures.Add(problem);
                }
            }
        }

        return failures;
    }
}
