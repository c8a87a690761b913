using System.Net;
using System.Text.Json.Nodes;
using Gateway.OpenApi;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Gateway.Tests.OpenApi;

/// <summary>
/// The forwarded Reducto endpoints in the published document: one operation per configured YARP route and method,
/// read from the proxy's configuration rather than from code, and readable by the Microsoft.OpenApi reader with no
/// complaint. Nothing is forwarded here, so the upstream is a loopback address nobody listens on.
/// </summary>
public sealed class ForwardedOperationsDocumentTests
{
    private const string Tag = "Forwarded to Reducto";
    private const string Passthrough = "x-gateway-passthrough";
    private const string JobPath = "/job/{job_id}";

    private static readonly Uri Upstream = new("http://127.0.0.1:9/");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Document_WithForwardedOperations_LoadsWithNoErrorsAndNoWarnings()
    {
        await using var gateway = new GatewayFactory(Upstream);

        var (document, diagnostic) = await LoadAsync(gateway);

        Assert.Empty(diagnostic.Errors);
        Assert.Empty(diagnostic.Warnings);
        Assert.Contains(document.Tags!, t => t.Name == Tag && !string.IsNullOrEmpty(t.Description));
    }

    [Fact]
    public async Task EveryConfiguredRoute_IsAPassthroughOperation_NamedByItsRouteId()
    {
        await using var gateway = new GatewayFactory(Upstream);
        var routeIds = gateway.Services.GetRequiredService<IConfiguration>()
            .GetSection("ReverseProxy:Routes").GetChildren().Select(r => r.Key).ToList();

        var operations = Forwarded((await LoadAsync(gateway)).Document);

        Assert.NotEmpty(routeIds);
        Assert.Equal(routeIds.Order(StringComparer.Ordinal), operations.Keys.Order(StringComparer.Ordinal));
        Assert.All(operations.Values, entry =>
        {
            var (method, path, operation) = entry;
            Assert.Equal([Tag], operation.Tags!.Select(t => t.Name));
            Assert.Contains($"{method.Method} {path}", operation.Summary!, StringComparison.Ordinal);
            Assert.Contains("unchanged", operation.Description!, StringComparison.Ordinal);
            Assert.Contains("server key", operation.Description!, StringComparison.Ordinal);
            Assert.Contains("Not cached", operation.Description!, StringComparison.Ordinal);
            Assert.Equal("Bearer", Assert.Single(Assert.Single(operation.Security!).Keys).Reference?.Id);
            // Creating routes add the refusals of Creations (their own test below).
            var creates = operation.Parameters?.Any(static p => p.Name == "Idempotency-Key") == true;
            Assert.Equal(creates ? ["200", "400", "401", "409", "422"] : ["200", "401"], operation.Responses!.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(["application/json"], operation.Responses["200"].Content!.Keys);
            Assert.Equal(["application/problem+json"], operation.Responses["401"].Content!.Keys);
        });
    }

    [Theory]
    [InlineData("parse-async", "not-owned")]
    [InlineData("upload", "recorded as your team's")]
    [InlineData("cancel", "Only the team that created it")]
    [InlineData("upload-delete", "Only the team that created it")]
    [InlineData("jobs", "fewer jobs than `limit`")]
    [InlineData("configure-webhook", "admin key")]
    public async Task EachRoute_SaysWhatOwnershipDoesThere(string operationId, string says)
    {
        await using var gateway = new GatewayFactory(Upstream);

        var operations = Forwarded((await LoadAsync(gateway)).Document);

        Assert.Contains(says, operations[operationId].Operation.Description!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobPath_GainsForwardedDelete_AndKeepsTheCachedGetAndHead()
    {
        await using var gateway = new GatewayFactory(Upstream);

        var (document, _) = await LoadAsync(gateway);

        var operations = document.Paths[JobPath].Operations!;
        Assert.Equal([HttpMethod.Delete, HttpMethod.Get, HttpMethod.Head], operations.Keys.OrderBy(m => m.Method, StringComparer.Ordinal));
        Assert.Equal("job-delete", operations[HttpMethod.Delete].OperationId);
        Assert.True(IsPassthrough(operations[HttpMethod.Delete]));
        Assert.Contains("dropped from the gateway's cache", operations[HttpMethod.Delete].Description!, StringComparison.Ordinal);

        Assert.False(IsPassthrough(operations[HttpMethod.Get]));
        Assert.False(IsPassthrough(operations[HttpMethod.Head]));
    }

    [Fact]
    public async Task CachedJobOperations_AreIdentical_WithAndWithoutForwardedOperations()
    {
        await using var gateway = new GatewayFactory(Upstream);
        await using var withoutForwarded = gateway.WithWebHostBuilder(b => b.ConfigureServices(services =>
            services.PostConfigure<SwaggerGenOptions>(o => o.DocumentFilterDescriptors.RemoveAll(d => d.Type == typeof(ForwardedOperationsDocumentFilter)))));

        var with = (await LoadJsonAsync(gateway))["paths"]![JobPath]!;
        var without = (await LoadJsonAsync(withoutForwarded))["paths"]![JobPath]!;

        Assert.Null(without["delete"]);
        Assert.True(JsonNode.DeepEquals(without["get"], with["get"]), "GET /job/{job_id} changed");
        Assert.True(JsonNode.DeepEquals(without["head"], with["head"]), "HEAD /job/{job_id} changed");
    }

    [Fact]
    public async Task ConstrainedRouteParameters_BecomePlainRequiredStringPathParameters()
    {
        await using var gateway = new GatewayFactory(Upstream);

        var (document, _) = await LoadAsync(gateway);

        Assert.DoesNotContain(document.Paths.Keys, path => path.Contains(':', StringComparison.Ordinal));
        var cancel = document.Paths["/cancel/{job_id}"].Operations![HttpMethod.Post];
        var jobId = Assert.Single(cancel.Parameters!);
        Assert.Equal(("job_id", ParameterLocation.Path, true), (jobId.Name, jobId.In, jobId.Required));
        Assert.Equal(JsonSchemaType.String, jobId.Schema!.Type);
        Assert.Equal("^[A-Za-z0-9_-]{1,128}$", jobId.Schema.Pattern);

        var fileId = Assert.Single(document.Paths["/upload/{file_id}"].Operations![HttpMethod.Delete].Parameters!);
        Assert.Equal(("file_id", ParameterLocation.Path, true), (fileId.Name, fileId.In, fileId.Required));
        Assert.Equal(JsonSchemaType.String, fileId.Schema!.Type);
    }

    [Fact]
    public async Task PostsTakeOptionalJson_UploadTakesAMultipartFile_AndOtherMethodsNoBody()
    {
        await using var gateway = new GatewayFactory(Upstream);

        var (document, _) = await LoadAsync(gateway);

        var parse = document.Paths["/parse_async"].Operations![HttpMethod.Post].RequestBody!;
        Assert.False(parse.Required);
        Assert.Equal(["application/json"], parse.Content!.Keys);

        var upload = document.Paths["/upload"].Operations![HttpMethod.Post].RequestBody!;
        var form = Assert.Single(upload.Content!, c => c.Key == "multipart/form-data").Value.Schema!;
        Assert.Equal(JsonSchemaType.Object, form.Type);
        Assert.Equal((JsonSchemaType.String, "binary"), (form.Properties!["file"].Type, form.Properties["file"].Format));

        Assert.Null(document.Paths["/jobs"].Operations![HttpMethod.Get].RequestBody);
        Assert.Null(document.Paths[JobPath].Operations![HttpMethod.Delete].RequestBody);
    }

    [Fact]
    public async Task RouteAddedInConfiguration_IsDocumented_WithoutCodeChange()
    {
        await using var gateway = new GatewayFactory(Upstream, settings: new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:test-extra:ClusterId"] = "reducto",
            ["ReverseProxy:Routes:test-extra:Match:Path"] = "/brand_new/{item_id:regex(^[a-z]+$)}",
            ["ReverseProxy:Routes:test-extra:Match:Methods:0"] = "POST",
            ["ReverseProxy:Routes:test-extra:Match:Methods:1"] = "GET",
            // Every route names the scope a team needs for it; a route without one stops the start-up.
            ["ReverseProxy:Routes:test-extra:Metadata:Scope"] = "jobs:run",
            ["ReverseProxy:Routes:test-extra:Metadata:Ownership"] = "creates-job",
        });

        var (document, diagnostic) = await LoadAsync(gateway);

        Assert.Empty(diagnostic.Errors);
        Assert.Empty(diagnostic.Warnings);
        var operations = document.Paths["/brand_new/{item_id}"].Operations!;
        Assert.Equal("test-extra-post", operations[HttpMethod.Post].OperationId);
        Assert.Equal("test-extra-get", operations[HttpMethod.Get].OperationId);
        Assert.All(operations.Values, operation => Assert.True(IsPassthrough(operation)));
        Assert.NotNull(operations[HttpMethod.Post].RequestBody);
        Assert.Equal("^[a-z]+$", Assert.Single(operations[HttpMethod.Get].Parameters!, static p => p.In == ParameterLocation.Path).Schema!.Pattern);
    }

    [Fact]
    public async Task OperationIds_AreUniqueAcrossTheDocument()
    {
        await using var gateway = new GatewayFactory(Upstream);

        var (document, _) = await LoadAsync(gateway);

        var ids = document.Paths.Values.SelectMany(p => p.Operations!.Values).Select(o => o.OperationId).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    // No Authorization header: the document is readable without a gateway key.
    [Fact]
    public async Task CreatingRoutes_DocumentIdempotencyKey_TheReplayHeader_And409And422_AndNoOtherRouteDoes()
    {
        await using var gateway = new GatewayFactory(Upstream);
        var operations = Forwarded((await LoadAsync(gateway)).Document);

        foreach (var id in new[] { "parse-async", "parse", "upload" })
        {
            var operation = operations[id].Operation;
            var key = Assert.Single(operation.Parameters!, p => p.Name == "Idempotency-Key");
            Assert.Equal(ParameterLocation.Header, key.In);
            Assert.Contains(operation.Parameters!, p => p.Name == "x-stainless-retry-count");
            Assert.True(operation.Responses!["200"].Headers!.ContainsKey("Idempotent-Replayed"));
            Assert.Contains("application/problem+json", operation.Responses["409"].Content!.Keys);
            Assert.Contains("application/problem+json", operation.Responses["422"].Content!.Keys);
        }

        Assert.DoesNotContain(operations["version"].Operation.Parameters ?? [], p => p.Name == "Idempotency-Key");
    }

    [Fact]
    public async Task OnlyAsynchronousJobCreations_DocumentTheReuseHeader_AndCacheControl()
    {
        await using var gateway = new GatewayFactory(Upstream);
        var operations = Forwarded((await LoadAsync(gateway)).Document);

        foreach (var (id, reuses) in new[] { ("parse-async", true), ("extract-async", true), ("parse", false), ("upload", false) })
        {
            var operation = operations[id].Operation;
            Assert.Equal(reuses, operation.Responses!["200"].Headers!.ContainsKey("Gateway-Reused-Job"));
            Assert.Equal(reuses, operation.Parameters!.Any(static p => p.Name == "Cache-Control"));
        }
    }

    private static async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic)> LoadAsync(GatewayFactory gateway)
    {
        using var client = gateway.CreateClient(gatewayKey: null);
        using var response = await client.GetAsync("/swagger/v1/swagger.json", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(Cancel);
        var (document, diagnostic) = await OpenApiDocument.LoadAsync(body, "json", settings: null, Cancel);
        Assert.NotNull(document);
        Assert.NotNull(diagnostic);
        return (document, diagnostic);
    }

    private static async Task<JsonNode> LoadJsonAsync(WebApplicationFactory<Program> gateway)
    {
        using var client = gateway.CreateClient();
        return JsonNode.Parse(await client.GetStringAsync(new Uri("/swagger/v1/swagger.json", UriKind.Relative), Cancel))!;
    }

    private static Dictionary<string, (HttpMethod Method, string Path, OpenApiOperation Operation)> Forwarded(OpenApiDocument document) =>
        document.Paths
            .SelectMany(path => path.Value.Operations!.Select(op => (Method: op.Key, Path: path.Key, Operation: op.Value)))
            .Where(entry => IsPassthrough(entry.Operation))
            .ToDictionary(entry => entry.Operation.OperationId!, StringComparer.Ordinal);

    private static bool IsPassthrough(OpenApiOperation operation) =>
        operation.Extensions?.TryGetValue(Passthrough, out var extension) == true &&
        extension is JsonNodeExtension { Node: JsonValue value } && value.GetValue<bool>();
}
