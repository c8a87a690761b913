using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Caching;
using Gateway.Ownership;

namespace Gateway.Creations;

/// <summary>
/// What makes two job creations the same work: the route's kind (<c>/parse_async</c> and <c>/parse</c> alike), the
/// document, and every option that can change the output. The options are the body less <c>input</c>, <c>async</c>
/// (metadata, priority, webhook: delivery, not output) and <c>queue_priority</c>, written canonically (keys sorted,
/// no white space, strings re-escaped one way), so key order and spacing never matter. The document is its content
/// where the gateway saw the bytes (an upload), the job for <c>jobid://</c>, and the exact string for any other URL.
/// A presigned URL is never the same work (its signature changes with every signing, and what it points at may
/// change under the same one); a file whose bytes the gateway never saw, or a body it cannot read, has no key.
/// </summary>
internal static class ReuseKey
{
    /// <param name="fileContent">The content hash recorded for one of the team's file ids, or null.</param>
    /// <returns>The key (hex), or null when this creation can never be reused.</returns>
    public static async Task<string?> ComputeAsync(string path, ReadOnlyMemory<byte> body, Func<string, Task<string?>> fileContent)
    {
        try
        {
            var json = body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;
            if (JsonNode.Parse(json.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) is not JsonObject options ||
                !options.Remove("input", out var input) || input is null || await IdentityAsync(input, fileContent) is not { } document)
            {
                return null;
            }

            options.Remove("async");
            options.Remove("queue_priority");
            (options["settings"] as JsonObject)?.Remove("queue_priority");

            var canonical = new ArrayBufferWriter<byte>(512);
            using (var writer = new Utf8JsonWriter(canonical))
            {
                writer.WriteStartObject();
                writer.WriteString("route", Kind(path));
                writer.WritePropertyName("input");
                document.WriteTo(writer);
                writer.WritePropertyName("options");
                WriteSorted(options, writer);
                writer.WriteEndObject();
            }

            return Convert.ToHexStringLower(SHA256.HashData(canonical.WrittenSpan));
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not one JSON object, or one with a property twice: Reducto refuses it, and nothing is reused for it.
            return null;
        }
    }

    /// <summary>The route's kind: a synchronous and an asynchronous creation of the same work make the same job.</summary>
    private static string Kind(string path)
    {
        var kind = path.ToLowerInvariant().TrimEnd('/');
        return kind.EndsWith("_async", StringComparison.Ordinal) ? kind[..^"_async".Length] : kind;
    }

    private static async Task<JsonNode?> IdentityAsync(JsonNode input, Func<string, Task<string?>> fileContent)
    {
        switch (input)
        {
            case JsonArray list when list.Count > 0:
                var identities = new JsonArray();
                foreach (var item in list)
                {
                    if (item is null || await IdentityAsync(item, fileContent) is not { } identity)
                    {
                        return null;
                    }

                    identities.Add(identity);
                }

                return identities;
            case JsonObject upload when upload.Count == 1 && upload["file_id"] is JsonValue fileId && fileId.TryGetValue(out string? id):
                return await OfStringAsync(id, isFileId: true, fileContent);
            case JsonValue value when value.TryGetValue(out string? text):
                return await OfStringAsync(text, isFileId: false, fileContent);
            default:
                return null;
        }
    }

    private static async Task<JsonNode?> OfStringAsync(string value, bool isFileId, Func<string, Task<string?>> fileContent) =>
        ReferenceSchemes.Classify(Encoding.UTF8.GetBytes(value), isFileId) switch
        {
            ReferenceKind.File => await fileContent(value) is { } content ? "file:" + content : null,
            ReferenceKind.Job => "job:" + OwnedIds.Job(value),
            _ => PresignedUrl.IsSigned(value) ? null : "url:" + value,
        };

    private static void WriteSorted(JsonNode? node, Utf8JsonWriter writer)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, value) in obj.OrderBy(static pair => pair.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    WriteSorted(value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteSorted(item, writer);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
