using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// The gateway passes bodies through unread, so a field Reducto adds tomorrow reaches callers unchanged. Object
/// schemas therefore stay open: Swashbuckle's default <c>additionalProperties: false</c> would tell client generators
/// to reject exactly the responses the gateway is built to forward.
/// </summary>
internal sealed class OpenObjectSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema { AdditionalPropertiesAllowed: false, AdditionalProperties: null } concrete)
        {
            concrete.AdditionalPropertiesAllowed = true;
        }
    }
}
