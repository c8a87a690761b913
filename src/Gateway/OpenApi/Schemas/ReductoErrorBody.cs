using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

/// <summary>
/// Reducto documents several error body shapes that disagree, so the gateway promises nothing beyond "JSON object"
/// and passes the bytes through; the two fields below are the ones seen in practice.
/// </summary>
[Description("An error body from Reducto, passed through byte for byte. Its shape varies; error and detail are the fields seen in practice.")]
internal sealed record ReductoErrorBody
{
    [JsonPropertyName("error")]
    public JsonElement? Error { get; init; }

    [JsonPropertyName("detail")]
    public JsonElement? Detail { get; init; }
}
