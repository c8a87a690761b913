using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

internal sealed partial class GatewayKeyOptionsValidator : IValidateOptions<GatewayKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayKeyOptions options)
    {
        var failures = new List<string>();
        if (options.ClientKeys.Count == 0 && !options.AllowAnonymous)
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys has no keys. Configure {GatewayKeyOptions.SectionName}:ClientKeys:<team> " +
                $"(preferably sha256:<hex>), or set {GatewayKeyOptions.SectionName}:AllowAnonymous to true to run without keys.");
        }

        foreach (var (team, key) in options.ClientKeys)
        {
            if (!TeamName().IsMatch(team))
            {
                failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys:{team}: team names are 1-64 of A-Z, a-z, 0-9, '_', '-', '.'.");
            }

            if (string.IsNullOrWhiteSpace(key))
            {
                failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys:{team} is empty.");
            }
            else if (key.StartsWith(GatewayKeys.HashPrefix, StringComparison.Ordinal) && !Sha256Hex().IsMatch(key[GatewayKeys.HashPrefix.Length..]))
            {
                failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys:{team} must be sha256: followed by 64 hex digits.");
            }
            else if (!key.StartsWith(GatewayKeys.HashPrefix, StringComparison.Ordinal) && key.Length < 16)
            {
                failures.Add($"{GatewayKeyOptions.SectionName}:ClientKeys:{team} is shorter than 16 characters.");
            }
        }

        if (options.AdminKey is { Length: > 0 } admin && admin.StartsWith(GatewayKeys.HashPrefix, StringComparison.Ordinal) &&
            !Sha256Hex().IsMatch(admin[GatewayKeys.HashPrefix.Length..]))
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:AdminKey must be sha256: followed by 64 hex digits.");
        }
        else if (options.AdminKey is { Length: > 0 } plain && !plain.StartsWith(GatewayKeys.HashPrefix, StringComparison.Ordinal) && plain.Length < 16)
        {
            failures.Add($"{GatewayKeyOptions.SectionName}:AdminKey is shorter than 16 characters.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex TeamName();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Hex();
}
