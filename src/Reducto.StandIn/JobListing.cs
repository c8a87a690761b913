using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Reducto.StandIn;

/// <summary>
/// <c>GET /jobs?limit=&amp;cursor=&amp;exclude_configs=</c>: the jobs the stand-in created, newest first, in Reducto's
/// shape. <c>limit</c> is 1..500 (default 100; anything else is FastAPI's 422). <c>next_cursor</c> is opaque and null
/// on the last page. A cursor the stand-in never handed out gets an empty last page, so a caller paging through
/// cannot loop.
/// </summary>
internal static class JobListing
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 500;
    private const string CursorPrefix = "standin-";

    private static readonly string[] s_limitLocation = ["query", "limit"];

    public static IResult List(HttpRequest request, StandInServer server)
    {
        var query = request.Query;
        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out limit))
            {
                return Invalid("int_parsing", "Input should be a valid integer, unable to parse string as an integer", limitText.ToString(), null);
            }

            if (limit is < 1 or > MaxLimit)
            {
                return limit < 1
                    ? Invalid("greater_than_equal", "Input should be greater than or equal to 1", limitText.ToString(), new() { ["ge"] = 1 })
                    : Invalid("less_than_equal", "Input should be less than or equal to 500", limitText.ToString(), new() { ["le"] = MaxLimit });
            }
        }

        var excludeConfigs = string.Equals(query["exclude_configs"], "true", StringComparison.OrdinalIgnoreCase);
        var (page, next) = query.TryGetValue("cursor", out var cursor) && !string.IsNullOrEmpty(cursor)
            ? ParseCursor(cursor.ToString()) is { } position ? server.Creations.JobsBefore(position, limit) : ([], null)
            : server.Creations.JobsBefore(null, limit);

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("jobs");
            foreach (var job in page)
            {
                WriteJob(json, job, server.Jobs.StatusOf(job.Id) ?? "Pending", excludeConfigs);
            }

            json.WriteEndArray();
            json.WriteString("next_cursor", next is { } n ? Cursor(n) : null);
            json.WriteEndObject();
        }

        return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
    }

    private static void WriteJob(Utf8JsonWriter json, Creation job, string status, bool excludeConfigs)
    {
        var completed = status == "Completed";
        json.WriteStartObject();
        json.WriteString("job_id", job.Id);
        json.WriteString("status", status);
        json.WriteString("type", TypeOf(job.Route));
        if (!excludeConfigs)
        {
            json.WriteString("raw_config", job.RawConfig);
        }

        json.WriteString("created_at", JobBodies.Iso(job.CreatedAt));
        WriteNumberOrNull(json, "num_pages", completed ? 3 : null);
        WriteNumberOrNull(json, "total_pages", completed ? 3 : null);
        WriteNumberOrNull(json, "duration", completed ? 1.84 : null);
        json.WriteEndObject();
    }

    // "/parse_async" and "/parse" are both "Parse", as Reducto's EnhancedAsyncJobResponse.type says.
    private static string TypeOf(string route)
    {
        var kind = route.TrimStart('/');
        kind = kind.EndsWith("_async", StringComparison.Ordinal) ? kind[..^"_async".Length] : kind;
        return char.ToUpperInvariant(kind[0]) + kind[1..];
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Cursor(int position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(CursorPrefix + position.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int? ParseCursor(string cursor)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
            return text.StartsWith(CursorPrefix, StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var position)
                ? position
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static IResult Invalid(string type, string message, string input, Dictionary<string, int>? context) =>
        Results.Json(
            new { detail = new[] { new { type, loc = s_limitLocation, msg = message, input, ctx = context } } },
            statusCode: 422);
}
