namespace Gateway.OpenApi;

/// <summary>
/// The OpenAPI document (Swashbuckle) and Swagger UI. Both are served before the gateway-key check, so anyone who can
/// reach the gateway can read how to call it; calling it still needs a key.
/// </summary>
internal static class OpenApiExtensions
{
    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(GatewayDocument.Name, GatewayDocument.Info);
            options.AddSecurityDefinition(BearerSecurity.SchemeName, BearerSecurity.Scheme);
            options.SupportNonNullableReferenceTypes();
            options.UseAllOfToExtendReferenceSchemas();
            options.UseOneOfForPolymorphism();
            options.SelectSubTypesUsing(JsonPolymorphism.SubTypes);
            options.SelectDiscriminatorNameUsing(JsonPolymorphism.DiscriminatorName);
            options.SelectDiscriminatorValueUsing(JsonPolymorphism.DiscriminatorValue);
            options.SchemaFilter<DescriptionSchemaFilter>();
            options.SchemaFilter<OpenObjectSchemaFilter>();
            options.SchemaFilter<DiscriminatorValueSchemaFilter>();
            options.OperationFilter<ResponseDescriptionFilter>();
            options.OperationFilter<GatewayKeyOperationFilter>();
            options.OperationFilter<OperationTransformerFilter>();
            options.OperationFilter<HeadOperationFilter>();
            options.OperationFilter<ResponseOrderFilter>();
            options.DocumentFilter<ForwardedOperationsDocumentFilter>();
        });
        return services;
    }

    public static WebApplication MapGatewayOpenApi(this WebApplication app)
    {
        // Only requests under /swagger meet these middlewares: each one matches paths and allocates on every request
        // it sees, which on a cache hit is a measurable share of the gateway's own work.
        app.UseWhen(
            static context => context.Request.Path.StartsWithSegments("/" + GatewayDocument.UiRoutePrefix, StringComparison.OrdinalIgnoreCase),
            static swagger => swagger
                .UseSwagger(static options => options.RouteTemplate = GatewayDocument.JsonRoute)
                .UseSwaggerUI(static options =>
                {
                    options.RoutePrefix = GatewayDocument.UiRoutePrefix;
                    options.DocumentTitle = GatewayDocument.Info.Title;
                    options.SwaggerEndpoint(GatewayDocument.UiRelativeJsonPath, $"{GatewayDocument.Info.Title} {GatewayDocument.Name}");
                }));
        return app;
    }
}
