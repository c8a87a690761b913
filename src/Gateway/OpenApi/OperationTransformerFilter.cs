using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>Runs every <see cref="OperationTransformer"/> an endpoint carries, in the order they were added.</summary>
internal sealed class OperationTransformerFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var transformer in context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<OperationTransformer>())
        {
            transformer.Apply(operation, context);
        }
    }
}
