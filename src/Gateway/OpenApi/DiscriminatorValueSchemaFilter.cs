using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// States each subtype's own discriminator value in its schema (<c>response_type: "parse"</c>), not only in the
/// base type's mapping, so a reader of one schema, or a validator, sees which value it carries.
/// </summary>
internal sealed class DiscriminatorValueSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete || context.MemberInfo is not null || context.Type?.BaseType is not { } baseType ||
            JsonPolymorphism.DiscriminatorName(baseType) is not { } name || JsonPolymorphism.DiscriminatorValue(context.Type) is not { } value)
        {
            return;
        }

        concrete.Properties ??= new Dictionary<string, IOpenApiSchema>();
        concrete.Properties[name] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [value] };
        concrete.Required ??= new HashSet<string>();
        concrete.Required.Add(name);
    }
}
