using Microsoft.OpenApi;

namespace Gateway.OpenApi;

/// <summary>The one OpenAPI document the gateway serves, and where it is served.</summary>
internal static class GatewayDocument
{
    public const string Name = "v1";
    public const string JsonRoute = "swagger/{documentName}/swagger.json";
    public const string UiRoutePrefix = "swagger";

    // Relative to the UI page, so the UI still finds the document when the gateway is hosted under a path base.
    public const string UiRelativeJsonPath = Name + "/swagger.json";

    public static OpenApiInfo Info => new()
    {
        Title = "Reducto Gateway",
        Version = Name,
        Description =
            "A caching gateway compatible with Reducto's API. Callers use the same paths, and get the same status codes " +
            "and the same bytes, as from Reducto. The gateway injects its own Reducto key upstream and caches jobs once " +
            "they are Completed or Failed, so repeated polls of a finished job never reach Reducto.",
    };
}
