using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// A route mapped for GET and HEAD yields two operations sharing one name. OpenAPI requires unique operation ids,
/// and a HEAD response never has a body, so the HEAD twin gets its own id and loses its response content.
/// </summary>
internal sealed class HeadOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!HttpMethods.IsHead(context.ApiDescription.HttpMethod ?? string.Empty))
        {
            return;
        }

        if (operation.OperationId is { } id)
        {
            operation.OperationId = id + "Head";
        }

        foreach (var response in operation.Responses?.Values.OfType<OpenApiResponse>() ?? [])
        {
            response.Content?.Clear();
        }
    }
}
