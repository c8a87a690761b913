using System.Text.Json;

namespace Gateway.Credits;

/// <summary>
/// What a job body says it cost: <c>result.usage.num_pages</c> and <c>result.usage.credits</c> (a job read), or the
/// top-level <c>usage</c> (a synchronous route's answer), with the top-level <c>num_pages</c> when no usage names
/// pages. <see cref="Credits"/> is null where Reducto sent null (not priced yet) or nothing.
/// </summary>
internal readonly record struct JobUsage(string? Status, long? Pages, decimal? Credits, bool HasUsage)
{
    private const int Result = 1, Usage = 2, NumPages = 3, CreditsName = 4, StatusName = 5, Other = 6;

    public bool Completed => Status == "Completed";

    public bool Failed => Status == "Failed";

    /// <summary>One forward pass that stops once it has the status and the usage; a malformed body yields what was read before the fault.</summary>
    public static JobUsage Read(ReadOnlySpan<byte> json)
    {
        // The property name in force at depths 1 to 3: enough to know result.usage.credits from any other "credits".
        Span<int> names = stackalloc int[5];
        string? status = null;
        long? usagePages = null, topPages = null;
        decimal? credits = null;
        var hasUsage = false;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                var depth = reader.CurrentDepth;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when depth is >= 1 and <= 3:
                        names[depth] = Name(ref reader);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray when depth <= 3:
                        names[depth + 1] = 0;
                        if (reader.TokenType == JsonTokenType.StartObject && IsUsage(names, depth))
                        {
                            hasUsage = true;
                        }

                        break;
                    case JsonTokenType.String when depth == 1 && names[1] == StatusName:
                        status = reader.GetString();
                        break;
                    case JsonTokenType.Number or JsonTokenType.Null when depth >= 1 && depth <= 3:
                        var inUsage = depth >= 2 && IsUsage(names, depth - 1);
                        if (inUsage && names[depth] == CreditsName)
                        {
                            credits = reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var value) ? value : null;
                        }
                        else if (reader.TokenType == JsonTokenType.Number && names[depth] == NumPages && reader.TryGetInt64(out var pages))
                        {
                            if (inUsage)
                            {
                                usagePages = pages;
                            }
                            else if (depth == 1)
                            {
                                topPages = pages;
                            }
                        }

                        break;
                    case JsonTokenType.EndObject when depth == 0:
                        return new JobUsage(status, usagePages ?? topPages, credits, hasUsage);
                }

                if (status is not null && usagePages is not null && credits is not null)
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
        }

        return new JobUsage(status, usagePages ?? topPages, credits, hasUsage);
    }

    // result.usage (depth 2) or a synchronous answer's top-level usage (depth 1): the object opened at depth.
    private static bool IsUsage(ReadOnlySpan<int> names, int depth) =>
        depth == 1 && names[1] == Usage || depth == 2 && names[1] == Result && names[2] == Usage;

    private static int Name(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("result"u8) ? Result
        : reader.ValueTextEquals("usage"u8) ? Usage
        : reader.ValueTextEquals("num_pages"u8) ? NumPages
        : reader.ValueTextEquals("credits"u8) ? CreditsName
        : reader.ValueTextEquals("status"u8) ? StatusName
        : Other;
}
