using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Gateway.Tests.OpenApi;

/// <summary>
/// The published OpenAPI document, read back with the Microsoft.OpenApi reader the way a client generator would:
/// it must load cleanly and describe GET /job/{job_id} completely enough to call it from Swagger UI.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncDisposable
{
    private const string JobPath = "/job/{job_id}";

    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("Upstream:BaseUrl", "http://127.0.0.1:9");
        b.UseSetting("Upstream:ApiKey", "test-server-key");
        b.UseSetting("Auth:ClientKeys:docs", "docs-team-gateway-key-0001");
        b.UseSetting("Webhooks:Secret", "docs-webhook-secret-0001");
    });

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task Document_LoadsWithNoErrorsAndNoWarnings()
    {
        var (document, diagnostic) = await LoadAsync();

        Assert.Empty(diagnostic.Errors);
        Assert.Empty(diagnostic.Warnings);
        Assert.Equal("Reducto Gateway", document.Info.Title);
        Assert.Equal("v1", document.Info.Version);
        Assert.Contains("caching", document.Info.Description!, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Reducto", document.Info.Description!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobOperation_DescribesEveryOutcome_WithItsContentType()
    {
        var operation = await GetJobOperationAsync();

        string[] expected = ["200", "304", "400", "401", "404", "409", "410", "422", "429", "500", "502", "503", "504"];
        Assert.All(expected, code => Assert.True(operation.Responses!.ContainsKey(code), $"response {code} is missing"));

        Assert.Equal(["application/json"], ContentTypes(operation, "200"));
        Assert.Empty(ContentTypes(operation, "304"));
        Assert.Equal(["application/problem+json"], ContentTypes(operation, "400"));
        Assert.Equal(["application/problem+json"], ContentTypes(operation, "401"));
        Assert.Equal(["application/json"], ContentTypes(operation, "422"));
        Assert.Equal(["application/json"], ContentTypes(operation, "429"));
        Assert.Equal(["application/json", "application/problem+json"], ContentTypes(operation, "502"));
        Assert.Equal(["application/json", "application/problem+json"], ContentTypes(operation, "503"));
        Assert.Equal(["application/problem+json"], ContentTypes(operation, "504"));
        foreach (var code in new[] { "404", "409", "410", "422", "429", "500" })
        {
            Assert.Contains("passed through byte for byte from Reducto", operation.Responses![code].Description!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task JobOperation_DocumentsCacheAndRetryHeaders()
    {
        var operation = await GetJobOperationAsync();

        var ok = operation.Responses!["200"].Headers!;
        Assert.Contains("Cache-Status", ok.Keys);
        Assert.Contains("Age", ok.Keys);
        Assert.Contains("Retry-After", ok.Keys);
        Assert.Contains("ETag", ok.Keys);
        Assert.Contains("retry-after-ms", operation.Responses["429"].Headers!.Keys);
        Assert.Contains("x-should-retry", operation.Responses["502"].Headers!.Keys);

        var ifNoneMatch = Assert.Single(operation.Parameters!, p => p.Name == "If-None-Match");
        Assert.Equal(ParameterLocation.Header, ifNoneMatch.In);
        Assert.False(ifNoneMatch.Required);
    }

    [Fact]
    public async Task JobStatus_IsAStringEnumOfExactlyReductosFourStatuses()
    {
        var (document, _) = await LoadAsync();
        var job = Resolve(ResponseSchema(GetJobOperation(document), "200"));

        Assert.Contains("status", job.Required!);
        var status = Resolve(job.Properties!["status"]);
        Assert.Equal(JsonSchemaType.String, status.Type);
        Assert.All(status.Enum!, value => Assert.Equal(JsonValueKind.String, value.GetValueKind()));
        Assert.Equal(["Completed", "Failed", "Idle", "Pending"], status.Enum!.Select(v => v.GetValue<string>()).Order());
    }

    [Fact]
    public async Task JobResult_DescribesParseResultsInFull_AndStaysOpenToOtherKinds()
    {
        var (document, _) = await LoadAsync();
        var job = Resolve(ResponseSchema(GetJobOperation(document), "200"));
        Assert.True(job.AdditionalPropertiesAllowed);

        var kinds = job.Properties!["result"].OneOf!.Select(Resolve).ToList();
        var parse = Assert.Single(kinds, k => Properties(k).ContainsKey("usage"));
        Assert.Equal("parse", Properties(parse)["response_type"].Enum!.Single()!.GetValue<string>());
        var parseResult = Properties(parse)["result"].OneOf!.Select(Resolve).ToList();
        Assert.Equal(["full", "url"], parseResult.Select(r => Properties(r)["type"].Enum!.Single()!.GetValue<string>()).Order());

        var full = parseResult.Single(r => Properties(r).ContainsKey("chunks"));
        var chunk = Resolve(Properties(full)["chunks"].Items!);
        var block = Resolve(Properties(chunk)["blocks"].Items!);
        Assert.Contains("bbox", block.Required!);
        Assert.Contains("original_page", Properties(Resolve(Properties(block)["bbox"])).Keys);

        Assert.Contains(kinds, k => Properties(k)["response_type"].Enum!.Single()!.GetValue<string>() == "extract");
        Assert.All(kinds, k => Assert.True(k.AdditionalPropertiesAllowed));
    }

    [Fact]
    public async Task JobIdParameter_CarriesTheGatewaysPattern()
    {
        var operation = await GetJobOperationAsync();

        var jobId = Assert.Single(operation.Parameters!, p => p.Name == "job_id");
        Assert.Equal(ParameterLocation.Path, jobId.In);
        Assert.True(jobId.Required);
        Assert.Equal("^[A-Za-z0-9_-]{1,128}$", jobId.Schema!.Pattern);
        Assert.Equal(1, jobId.Schema.MinLength);
        Assert.Equal(128, jobId.Schema.MaxLength);
    }

    [Fact]
    public async Task BearerScheme_IsDeclared_AndRequiredByTheJobOperation()
    {
        var (document, _) = await LoadAsync();

        var scheme = document.Components!.SecuritySchemes!["Bearer"];
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);

        var requirement = Assert.Single(GetJobOperation(document).Security!);
        var required = Assert.Single(requirement.Keys);
        Assert.Equal("Bearer", required.Reference?.Id);
    }

    [Fact]
    public async Task LongPollAndWebhook_AreDescribed()
    {
        var (document, _) = await LoadAsync();

        var job = document.Paths[JobPath].Operations![HttpMethod.Get];
        Assert.Contains(job.Parameters!, p => p.Name == "Prefer" && p.In == ParameterLocation.Header);
        Assert.True(job.Responses!["200"].Headers!.ContainsKey("Preference-Applied"));

        // Reducto holds no gateway key: the webhook is authenticated by its own secret, not the bearer scheme.
        var webhook = document.Paths["/webhooks/reducto"].Operations![HttpMethod.Post];
        Assert.True(webhook.Responses!.ContainsKey("202"));
        Assert.True(webhook.Security is null || webhook.Security.Count == 0);
    }

    [Fact]
    public async Task GetAndHead_HaveDistinctOperationIds()
    {
        var (document, _) = await LoadAsync();

        var ids = document.Paths.Values.SelectMany(p => p.Operations!.Values).Select(o => o.OperationId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task SwaggerUi_IsServedAsHtml_WithoutAGatewayKey()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync("/swagger/index.html", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    // No Authorization header: the document must be readable without a gateway key.
    private async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> LoadAsync()
    {
        using var client = _factory.CreateClient();
        using var response = await client.GetAsync("/swagger/v1/swagger.json", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(Cancel);
        var (document, diagnostic) = await OpenApiDocument.LoadAsync(body, "json", settings: null, Cancel);
        Assert.NotNull(document);
        Assert.NotNull(diagnostic);
        return (document, diagnostic);
    }

    private async Task<OpenApiOperation> GetJobOperationAsync() => GetJobOperation((await LoadAsync()).Document);

    private static OpenApiOperation GetJobOperation(OpenApiDocument document) =>
        document.Paths[JobPath].Operations![HttpMethod.Get];

    private static IOpenApiSchema ResponseSchema(OpenApiOperation operation, string code) =>
        operation.Responses![code].Content!["application/json"].Schema!;

    private static string[] ContentTypes(OpenApiOperation operation, string code) =>
        [.. (operation.Responses![code].Content?.Keys ?? []).Order(StringComparer.Ordinal)];

    // Swashbuckle wraps a referenced schema in allOf to attach a description or nullability; see through both.
    private static IOpenApiSchema Resolve(IOpenApiSchema schema) =>
        schema is { AllOf.Count: 1, Properties: null or { Count: 0 } } ? Resolve(schema.AllOf[0]) : schema;

    // A subtype's own properties, plus those it inherits through allOf from its base.
    private static Dictionary<string, IOpenApiSchema> Properties(IOpenApiSchema schema)
    {
        var all = new Dictionary<string, IOpenApiSchema>();
        foreach (var part in schema.AllOf ?? [])
        {
            foreach (var (name, property) in Properties(part))
            {
                all[name] = property;
            }
        }

        foreach (var (name, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
        {
            all[name] = property;
        }

        return all;
    }
}
