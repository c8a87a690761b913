using Microsoft.OpenApi;

namespace Gateway.OpenApi;

/// <summary>
/// Callers authenticate with <c>Authorization: Bearer &lt;gateway key&gt;</c>, the header the official SDKs already send
/// to Reducto. Declared as an http/bearer scheme, Swagger UI's Authorize button sends it on "Try it out".
/// </summary>
internal static class BearerSecurity
{
    public const string SchemeName = "Bearer";

    public static OpenApiSecurityScheme Scheme => new()
    {
        Type = SecuritySchemeType.Http,
        Scheme = "bearer",
        Description = "Your team's gateway key, sent as `Authorization: Bearer <key>` exactly as the Reducto SDKs send " +
            "their key. It is not a Reducto key, and the gateway never forwards it: upstream calls carry the gateway's own Reducto key.",
    };

    public static OpenApiSecurityRequirement Requirement(OpenApiDocument document) => new()
    {
        [new OpenApiSecuritySchemeReference(SchemeName, document)] = [],
    };
}
