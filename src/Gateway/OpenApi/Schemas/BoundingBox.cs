using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("Where a block sits on its page, as fractions of the page size.")]
internal sealed record BoundingBox
{
    [JsonPropertyName("left")]
    public required double Left { get; init; }

    [JsonPropertyName("top")]
    public required double Top { get; init; }

    [JsonPropertyName("width")]
    public required double Width { get; init; }

    [JsonPropertyName("height")]
    public required double Height { get; init; }

    [JsonPropertyName("page")]
    public required int Page { get; init; }

    [JsonPropertyName("original_page")]
    public int? OriginalPage { get; init; }
}
