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
        app.UseSwagger(options => options.RouteTemplate = GatewayDocument.JsonRoute);
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = GatewayDocument.UiRoutePrefix;
            options.DocumentTitle = GatewayDocument.Info.Title;
            options.SwaggerEndpoint(GatewayDocument.UiRelativeJsonPath, $"{GatewayDocument.Info.Title} {GatewayDocument.Name}");
        });
        return app;
    }
}
