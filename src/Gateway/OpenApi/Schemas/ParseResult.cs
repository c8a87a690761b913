using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

/// <summary>A parse result is inline (<c>full</c>) until it nears ~6 MB, then Reducto stores it and sends a URL instead.</summary>
[Description("The parsed document, inline (type full) or, when large, stored behind a URL (type url).")]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(FullResult), "full")]
[JsonDerivedType(typeof(UrlResult), "url")]
internal abstract record ParseResult;

[Description("The parsed document inline.")]
internal sealed record FullResult : ParseResult
{
    [JsonPropertyName("chunks")]
    public required IReadOnlyList<Chunk> Chunks { get; init; }

    [JsonPropertyName("ocr")]
    public JsonElement? Ocr { get; init; }

    [JsonPropertyName("custom")]
    public JsonElement? Custom { get; init; }
}

[Description("The parsed document stored by Reducto; fetch it from url before the presigned URL expires.")]
internal sealed record UrlResult : ParseResult
{
    [JsonPropertyName("url")]
    [Description("Presigned URL of the stored result; it expires.")]
    public required string Url { get; init; }

    [JsonPropertyName("result_id")]
    public required string ResultId { get; init; }
}
