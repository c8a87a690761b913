using System.Globalization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// Uses the <see cref="IProducesResponseTypeMetadata.Description"/> an endpoint declares as its response's
/// description. Neither ApiExplorer (for minimal APIs) nor Swashbuckle 10.1 carries it over, so without this every
/// response would read only "OK", "Bad Gateway" and so on.
/// </summary>
internal sealed class ResponseDescriptionFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses is null)
        {
            return;
        }

        foreach (var metadata in context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IProducesResponseTypeMetadata>())
        {
            var code = metadata.StatusCode.ToString(CultureInfo.InvariantCulture);
            if (metadata.Description is { Length: > 0 } description &&
                operation.Responses.TryGetValue(code, out var response) && response is OpenApiResponse concrete)
            {
                concrete.Description = description;
            }
        }
    }
}
