using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;

namespace Gateway.OpenApi;

/// <summary>
/// A YARP route template as an OpenAPI path. OpenAPI paths carry parameter names only, so constraints
/// (<c>{job_id:regex(...)}</c>), catch-all stars and optional marks leave the path; every parameter becomes a required
/// string. A regex constraint survives as the parameter's pattern: a value that fails it is answered 404 by the gateway
/// and never reaches Reducto, which a caller should be able to read.
/// </summary>
internal sealed class ForwardedRoutePath
{
    private const string RegexPolicyPrefix = "regex(";

    private readonly RoutePattern _pattern;

    private ForwardedRoutePath(RoutePattern pattern)
    {
        _pattern = pattern;
        Path = "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(Text))));
    }

    public string Path { get; }

    public static ForwardedRoutePath Parse(string template) => new(RoutePatternFactory.Parse(template));

    // Fresh objects on every call: a route with several methods yields several operations, each owning its parameters.
    public List<IOpenApiParameter> CreateParameters() => [.. _pattern.Parameters.Select(Parameter)];

    private static string Text(RoutePatternPart part) => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
        _ => string.Empty,
    };

    private static OpenApiParameter Parameter(RoutePatternParameterPart part) => new()
    {
        Name = part.Name,
        In = ParameterLocation.Path,
        Required = true,
        Description = part.IsCatchAll ? "The rest of the path, slashes included." : null,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = RegexOf(part) },
    };

    private static string? RegexOf(RoutePatternParameterPart part) => part.ParameterPolicies
        .Select(policy => policy.Content)
        .FirstOrDefault(content => content?.StartsWith(RegexPolicyPrefix, StringComparison.Ordinal) == true && content.EndsWith(')'))
        ?[RegexPolicyPrefix.Length..^1];
}
