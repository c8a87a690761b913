using System.Text.Json;

namespace Gateway.Jobs;

/// <summary>
/// Reads the top-level <c>status</c> of a job body and decides whether it is terminal. Only <c>Completed</c> and
/// <c>Failed</c> never change again; <c>Pending</c>, <c>Idle</c> and any status Reducto may add later are treated as
/// still running, so they are never cached.
/// </summary>
internal static class JobStatus
{
    public const string Completed = "Completed";
    public const string Failed = "Failed";

    public static bool IsTerminal(string? status) => status is Completed or Failed;

    /// <summary>
    /// The value of the top-level <c>status</c> string, or null when the body is not a JSON object with one.
    /// The reader is forward-only and stops at that field: bodies reach several megabytes, and <c>status</c> comes first.
    /// </summary>
    public static string? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStatus = reader.ValueTextEquals("status"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isStatus)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                if (!reader.TrySkip())
                {
                    return null;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
