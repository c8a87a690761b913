using System.ComponentModel;
using System.Reflection;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.OpenApi;

/// <summary>
/// Turns <see cref="DescriptionAttribute"/> on documentation types and their properties into schema descriptions,
/// so the schema records under <c>Schemas/</c> carry their own prose without XML documentation files.
/// </summary>
internal sealed class DescriptionSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        var attribute = context.MemberInfo?.GetCustomAttribute<DescriptionAttribute>()
            ?? (context.MemberInfo is null ? context.Type?.GetCustomAttribute<DescriptionAttribute>() : null);
        if (attribute is not null)
        {
            concrete.Description = attribute.Description;
        }
    }
}
