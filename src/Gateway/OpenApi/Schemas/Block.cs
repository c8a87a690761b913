using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("One layout block: a title, paragraph, table, figure and so on.")]
internal sealed record Block
{
    [JsonPropertyName("type")]
    [Description("Block kind, e.g. Title, Text, Table, Figure.")]
    public required string Type { get; init; }

    [JsonPropertyName("bbox")]
    public required BoundingBox Bbox { get; init; }

    [JsonPropertyName("content")]
    public required string Content { get; init; }

    [JsonPropertyName("image_url")]
    [Description("Image of the block, when images were requested; may be presigned and expire.")]
    public string? ImageUrl { get; init; }

    [JsonPropertyName("confidence")]
    [Description("Reducto's confidence in the block, e.g. high or low.")]
    public string? Confidence { get; init; }
}
