using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("Reducto's (FastAPI) validation error, passed through byte for byte.")]
internal sealed record HttpValidationError
{
    [JsonPropertyName("detail")]
    public required IReadOnlyList<ValidationError> Detail { get; init; }
}

internal sealed record ValidationError
{
    [JsonPropertyName("loc")]
    [Description("Where the error is, e.g. [\"path\", \"job_id\"]; items are strings or integers.")]
    public required IReadOnlyList<JsonElement> Loc { get; init; }

    [JsonPropertyName("msg")]
    public required string Msg { get; init; }

    [JsonPropertyName("type")]
    public required string Type { get; init; }
}
