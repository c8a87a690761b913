using Gateway.Ownership;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy;

/// <summary>
/// Every forwarded route says what it does with owned work (<c>Metadata:Ownership</c>), and a route whose path names a
/// job or file id must check its owner, so a route added to the configuration never opens another team's work by
/// omission.
/// </summary>
internal sealed class ProxyRouteOwnershipValidator(IConfiguration configuration) : IValidateOptions<Auth.GatewayKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, Auth.GatewayKeyOptions options)
    {
        var failures = new List<string>();
        foreach (var route in configuration.GetSection(ProxyExtensions.SectionName + ":Routes").GetChildren())
        {
            var setting = $"{ProxyExtensions.SectionName}:Routes:{route.Key}:Metadata:{OwnershipRoute.MetadataKey}";
            var value = route[$"Metadata:{OwnershipRoute.MetadataKey}"];
            if (value is null || !OwnershipRoute.Names.TryGetValue(value, out var role))
            {
                failures.Add($"{setting} must be one of {OwnershipRoute.Known} (is '{value}').");
                continue;
            }

            var path = route["Match:Path"] ?? string.Empty;
            if (path.Contains("{job_id", StringComparison.Ordinal) && role != OwnershipRole.ChangesJob)
            {
                failures.Add($"{setting} must be changes-job: the route's path names a job_id.");
            }

            if (path.Contains("{file_id", StringComparison.Ordinal) && role != OwnershipRole.ChangesFile)
            {
                failures.Add($"{setting} must be changes-file: the route's path names a file_id.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
