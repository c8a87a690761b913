using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

[Description("Result of a parse job.")]
internal sealed record ParseResponse : JobResult
{
    [JsonPropertyName("job_id")]
    public required string JobId { get; init; }

    [JsonPropertyName("duration")]
    [Description("Processing time in seconds.")]
    public required double Duration { get; init; }

    [JsonPropertyName("pdf_url")]
    [Description("Storage URL of the PDF Reducto parsed; presigned, so it expires.")]
    public string? PdfUrl { get; init; }

    [JsonPropertyName("studio_link")]
    [Description("Link to the job in Reducto Studio (requires a Studio login).")]
    public string? StudioLink { get; init; }

    [JsonPropertyName("usage")]
    public required ParseUsage Usage { get; init; }

    [JsonPropertyName("result")]
    public required ParseResult Result { get; init; }
}
