using Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy;

/// <summary>
/// Every forwarded route names the scope a team needs to use it (<c>Metadata:Scope</c>), so a route added to the
/// configuration is never open to every team by omission.
/// </summary>
internal sealed class ProxyRouteScopeValidator(IConfiguration configuration) : IValidateOptions<GatewayKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayKeyOptions options)
    {
        var failures = new List<string>();
        foreach (var route in configuration.GetSection(ProxyExtensions.SectionName + ":Routes").GetChildren())
        {
            var scope = route[$"Metadata:{Scopes.MetadataKey}"];
            if (scope is null || (scope != Scopes.Any && !Scopes.Names.ContainsKey(scope)))
            {
                failures.Add($"{ProxyExtensions.SectionName}:Routes:{route.Key}:Metadata:{Scopes.MetadataKey} must be one of {Scopes.Known}, or {Scopes.Any} (is '{scope}').");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
