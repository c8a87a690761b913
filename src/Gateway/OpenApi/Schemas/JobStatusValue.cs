using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

/// <summary>
/// The statuses Reducto's <c>GET /job</c> schema lists. Only <c>Completed</c> and <c>Failed</c> are terminal; a status
/// Reducto adds later still passes through untouched, it is just not described here.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStatusValue>))]
internal enum JobStatusValue
{
    Pending,
    Completed,
    Failed,
    Idle,
}
