using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("A chunk of the parsed document and the layout blocks it came from.")]
internal sealed record Chunk
{
    [JsonPropertyName("content")]
    public required string Content { get; init; }

    [JsonPropertyName("embed")]
    [Description("The chunk's text prepared for embedding.")]
    public required string Embed { get; init; }

    [JsonPropertyName("enriched")]
    public string? Enriched { get; init; }

    [JsonPropertyName("enrichment_success")]
    public bool? EnrichmentSuccess { get; init; }

    [JsonPropertyName("blocks")]
    public required IReadOnlyList<Block> Blocks { get; init; }
}
