using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("Why a job failed, as Reducto reports it.")]
internal sealed record ErrorDetail
{
    [JsonPropertyName("code")]
    public required int Code { get; init; }

    [JsonPropertyName("name")]
    [Description("Reducto's ErrorCode name, e.g. TIMEOUT, DOCUMENT_CORRUPT, JOB_CANCELLED.")]
    public required string Name { get; init; }

    [JsonPropertyName("message")]
    public required string Message { get; init; }

    [JsonPropertyName("job_id")]
    public string? JobId { get; init; }
}
