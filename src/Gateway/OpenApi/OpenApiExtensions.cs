namespace Gateway.OpenApi;

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
            options.OperationFilter<OperationTransformerFilter>();
            options.OperationFilter<HeadOperationFilter>();
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
