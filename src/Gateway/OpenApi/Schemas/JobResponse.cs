using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

/// <summary>
/// Reducto's <c>EnhancedAsyncJobResponse</c>, the body of a 200 from <c>GET /job/{job_id}</c>. Documentation only:
/// the gateway never deserializes a job, it returns Reducto's bytes.
/// </summary>
[Description("Reducto's job response (EnhancedAsyncJobResponse; AsyncJobResponse is the same without the Enhanced fields), returned byte for byte. Only status is required, and fields Reducto adds later pass through.")]
internal sealed record JobResponse
{
    [JsonPropertyName("status")]
    [Description("Completed and Failed are terminal and cached; Pending and Idle mean the job is still running and are never cached.")]
    public required JobStatusValue Status { get; init; }

    [JsonPropertyName("progress")]
    [Description("Progress of a running job; Reducto does not document its scale (a completed job reports 1.0).")]
    public double? Progress { get; init; }

    [JsonPropertyName("reason")]
    [Description("Failure text for a Failed job.")]
    public string? Reason { get; init; }

    [JsonPropertyName("error")]
    public ErrorDetail? Error { get; init; }

    [JsonPropertyName("result")]
    [Description("The job's result, discriminated by response_type; null until the job completes.")]
    public JobResult? Result { get; init; }

    [JsonPropertyName("type")]
    [Description("The kind of job: Parse, Extract, Split, Edit, Pipeline, Classify or Chart.")]
    public string? Type { get; init; }

    [JsonPropertyName("num_pages")]
    public int? NumPages { get; init; }

    [JsonPropertyName("total_pages")]
    public int? TotalPages { get; init; }

    [JsonPropertyName("duration")]
    [Description("Processing time in seconds.")]
    public double? Duration { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset? CreatedAt { get; init; }

    [JsonPropertyName("raw_config")]
    [Description("The request's configuration, echoed as a JSON string.")]
    public string? RawConfig { get; init; }

    [JsonPropertyName("source")]
    public JsonElement? Source { get; init; }

    [JsonPropertyName("bucket")]
    public JsonElement? Bucket { get; init; }
}
