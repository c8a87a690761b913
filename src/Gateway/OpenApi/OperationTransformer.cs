using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// Endpoint metadata carrying the parts of an operation's description that ApiExplorer cannot express (response
/// headers, parameter constraints, a second content type), so each endpoint documents itself next to its route and the
/// generator needs no per-endpoint knowledge. <see cref="OperationTransformerFilter"/> applies them.
/// </summary>
internal sealed class OperationTransformer(Action<OpenApiOperation, OperationFilterContext> transform)
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context) => transform(operation, context);
}
