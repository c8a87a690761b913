using Microsoft.OpenApi;

namespace Gateway.OpenApi;

/// <summary>
/// Callers authenticate with <c>Authorization: Bearer &lt;key&gt;</c>, as they would with Reducto. Declaring it as an
/// http/bearer scheme makes Swagger UI's Authorize button send that header on "Try it out".
/// </summary>
internal static class BearerSecurity
{
    public const string SchemeName = "Bearer";

    public static OpenApiSecurityScheme Scheme => new()
    {
        Type = SecuritySchemeType.Http,
        Scheme = "bearer",
        Description = "Send `Authorization: Bearer <key>`, exactly as with Reducto. The gateway never forwards it: " +
            "upstream calls carry the gateway's own Reducto key.",
    };

    public static OpenApiSecurityRequirement Requirement(OpenApiDocument document) => new()
    {
        [new OpenApiSecuritySchemeReference(SchemeName, document)] = [],
    };
}
