using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Proxy;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.OpenApi;

/// <summary>
/// Lists every route YARP forwards as an operation. The routes are read from the proxy's live state each time the
/// document is generated, not from a list in code, so a route added to the <c>ReverseProxy</c> configuration (or a
/// reload) is documented with no code change, and the document shows exactly what the gateway forwards. The bodies
/// pass through unchanged and Reducto's own API reference describes them, so an operation promises only JSON. An
/// operation the gateway documents itself (GET/HEAD <c>/job/{job_id}</c>) is never replaced; a forwarded method on
/// the same path joins it.
/// </summary>
internal sealed class ForwardedOperationsDocumentFilter(IProxyStateLookup proxy) : IDocumentFilter
{
    public const string Tag = "Forwarded to Reducto";
    public const string PassthroughExtension = "x-gateway-passthrough";

    private const string Json = "application/json";
    private const string Multipart = "multipart/form-data";
    private const string UploadPath = "/upload";

    // OpenAPI has no "any method": a route matching every method is listed under the ones an API call uses.
    private static readonly string[] AnyMethod = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    // Methods OpenAPI 3.0 can name; a route for any other (e.g. PURGE) is forwarded but cannot be documented.
    private static readonly HashSet<string> DocumentableMethods =
        new(["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"], StringComparer.OrdinalIgnoreCase);

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var operationIds = document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .Select(o => o.OperationId).OfType<string>().ToHashSet(StringComparer.Ordinal);

        // A route without a path matches on hosts or headers alone, which an OpenAPI path cannot express.
        var routes = proxy.GetRoutes().Select(r => r.Config).Where(r => r.Match.Path is not null)
            .Select(r => (Route: r, Path: ForwardedRoutePath.Parse(r.Match.Path!)))
            .OrderBy(r => r.Path.Path, StringComparer.Ordinal).ThenBy(r => r.Route.RouteId, StringComparer.Ordinal);
        var added = false;
        foreach (var (route, path) in routes)
        {
            var methods = (route.Match.Methods is { Count: > 0 } configured ? configured : AnyMethod)
                .Where(DocumentableMethods.Contains).Select(m => m.ToUpperInvariant()).Distinct().ToList();
            foreach (var method in methods)
            {
                if (PathItem(document, path.Path) is not { } item || item.Operations!.ContainsKey(new HttpMethod(method)))
                {
                    continue;
                }

                // The route id is what an operator names and keeps; the method is added only when one route has several.
                var id = Unique(methods.Count == 1 ? route.RouteId : $"{route.RouteId}-{method.ToLowerInvariant()}", operationIds);
                var operation = Operation(route, method, path, id, document, context);
                if (CreationOperationDocumentation.Creates(route))
                {
                    CreationOperationDocumentation.Apply(operation, context, route);
                }

                item.Operations[new HttpMethod(method)] = operation;
                added = true;
            }
        }

        if (added && !(document.Tags?.Any(t => t.Name == Tag) ?? false))
        {
            document.Tags ??= new HashSet<OpenApiTag>();
            document.Tags.Add(new OpenApiTag
            {
                Name = Tag,
                Description = "Reducto endpoints the gateway passes through unchanged, with its server key. Nothing here is " +
                    "cached. Reducto's API reference describes their requests and responses.",
            });
        }
    }

    private static OpenApiPathItem? PathItem(OpenApiDocument document, string path)
    {
        if (!document.Paths.TryGetValue(path, out var item))
        {
            item = new OpenApiPathItem();
            document.Paths.Add(path, item);
        }

        if (item is not OpenApiPathItem concrete)
        {
            return null;
        }

        concrete.Operations ??= [];
        return concrete;
    }

    private static string Unique(string candidate, HashSet<string> taken)
    {
        var id = candidate;
        for (var n = 2; !taken.Add(id); n++)
        {
            id = candidate + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        return id;
    }

    private static OpenApiOperation Operation(
        RouteConfig route, string method, ForwardedRoutePath path, string id, OpenApiDocument document, DocumentFilterContext context)
    {
        var evictsJob = route.Metadata?.GetValueOrDefault(ServerKeyTransforms.EvictsJobMetadata) is { } evicts &&
            bool.TryParse(evicts, out var enabled) && enabled;
        return new OpenApiOperation
        {
            OperationId = id,
            Tags = new HashSet<OpenApiTagReference> { new(Tag, document) },
            Summary = $"Reducto {method} {path.Path}",
            Description =
                $"Passed through to Reducto's `{method} {path.Path}` unchanged, with the gateway's server key in place of your " +
                "gateway key (cookies and X-Forwarded-* headers are not sent). Not cached: every call reaches Reducto, and " +
                "Reducto's answer, error or not, comes back as Reducto sent it. The gateway answers only when Reducto cannot " +
                "be: 429 when the shared upstream budget is spent, 502/504 problem details when Reducto is unreachable or slow." +
                (evictsJob ? " Once Reducto accepts the call, the job is also dropped from the gateway's cache." : string.Empty) +
                OwnershipNote(route),
            Extensions = new Dictionary<string, IOpenApiExtension> { [PassthroughExtension] = new JsonNodeExtension(JsonValue.Create(true)) },
            Security = [BearerSecurity.Requirement(document)],
            Parameters = path.CreateParameters(),
            RequestBody = method is "POST" or "PUT" or "PATCH" ? RequestBody(method, path) : null,
            Responses = new OpenApiResponses
            {
                [StatusCodes.Status200OK.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = "Reducto's response, passed through unchanged.",
                    Content = new Dictionary<string, OpenApiMediaType> { [Json] = new() { Schema = new OpenApiSchema() } },
                },
                [StatusCodes.Status401Unauthorized.ToString(CultureInfo.InvariantCulture)] =
                    GatewayKeyOperationFilter.Unauthorized(context.SchemaGenerator, context.SchemaRepository),
            },
        };
    }

    // What the ownership ledger does on this route (README, "Teams own their jobs and files").
    private static string OwnershipNote(RouteConfig route) =>
        (route.Metadata?.GetValueOrDefault(Ownership.OwnershipRoute.MetadataKey) is { } name ? Ownership.OwnershipRoute.Names.GetValueOrDefault(name) : default) switch
        {
            Ownership.OwnershipRole.CreatesJob =>
                " The job is recorded as your team's before the answer completes. Every file (`reducto://`, `file_id`) and job (`jobid://`) the " +
                "body references must be your team's (a referenced job may also be one your team may read): otherwise 404 `not-owned` naming the field, and nothing " +
                "is sent. The body must be one JSON document of at most 4 MiB, without Content-Encoding (400, 413, 415).",
            Ownership.OwnershipRole.CreatesFile => " The file is recorded as your team's before the answer completes.",
            Ownership.OwnershipRole.ChangesJob or Ownership.OwnershipRole.ChangesFile =>
                " Only the team that created it may do this: any other id, another team's or one that does not exist, gets 404 `not-owned` and nothing is sent.",
            Ownership.OwnershipRole.ListsJobs =>
                " Each page lists only the jobs your team may read (its own, and those of the teams in its ReadsJobsOf), cut from Reducto's page " +
                "with Reducto's `next_cursor` kept: a page may hold fewer jobs than `limit`, or none while `next_cursor` still points further; " +
                "page on until it is null.",
            Ownership.OwnershipRole.AdminOnly =>
                " Changes where Reducto sends every team's notices, so it takes the gateway's admin key; team keys get 403.",
            _ => string.Empty,
        };

    // Reducto's upload is the one endpoint taking a file rather than JSON, and route configuration has nowhere to say so.
    private static OpenApiRequestBody RequestBody(string method, ForwardedRoutePath path) =>
        method == "POST" && string.Equals(path.Path, UploadPath, StringComparison.OrdinalIgnoreCase)
            ? new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [Multipart] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "file" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                            },
                        },
                    },
                },
            }
            : new OpenApiRequestBody
            {
                Required = false,
                Description = "Passed to Reducto as sent.",
                Content = new Dictionary<string, OpenApiMediaType> { [Json] = new() { Schema = new OpenApiSchema() } },
            };
}
