using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("What a parse job consumed.")]
internal sealed record ParseUsage
{
    [JsonPropertyName("num_pages")]
    public required int NumPages { get; init; }

    [JsonPropertyName("credits")]
    [Description("Null on accounts that moved to Reducto's newer pricing.")]
    public double? Credits { get; init; }

    [JsonPropertyName("credit_breakdown")]
    public JsonElement? CreditBreakdown { get; init; }

    [JsonPropertyName("page_billing_breakdown")]
    public JsonElement? PageBillingBreakdown { get; init; }
}
