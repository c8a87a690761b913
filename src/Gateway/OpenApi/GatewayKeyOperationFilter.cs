using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// Every endpoint needs a gateway key unless it allows anonymous callers (the fallback authorization policy), so
/// every such operation requires the bearer scheme and can answer 401. Declaring the requirement per operation is
/// what makes Swagger UI's "Try it out" send the key entered under Authorize.
/// </summary>
internal sealed class GatewayKeyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        operation.Security = [BearerSecurity.Requirement(context.Document)];
        operation.Responses ??= [];
        operation.Responses[StatusCodes.Status401Unauthorized.ToString(CultureInfo.InvariantCulture)] =
            Unauthorized(context.SchemaGenerator, context.SchemaRepository);
    }

    /// <summary>The 401 every keyed operation can answer, also used for the forwarded operations.</summary>
    public static OpenApiResponse Unauthorized(ISchemaGenerator schemas, SchemaRepository repository) => new()
    {
        Description = "No gateway key, or one the gateway does not know. Reducto was not called.",
        Headers = new Dictionary<string, IOpenApiHeader>
        {
            [HeaderNames.WWWAuthenticate] = new OpenApiHeader
            {
                Description = "`Bearer`.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
            ["x-should-retry"] = new OpenApiHeader
            {
                Description = "`false`: the same request will fail again.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        },
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = schemas.GenerateSchema(typeof(ProblemDetails), repository) },
        },
    };
}
