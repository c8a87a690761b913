using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("Reducto's rate-limit body, passed through byte for byte.")]
internal sealed record RateLimitError
{
    [JsonPropertyName("message")]
    [Description("E.g. \"[CODE 2000] ... please use webhooks instead of polling\"; a rare load-shedding 429 has no [CODE] prefix.")]
    public required string Message { get; init; }
}
