using System.Globalization;
using System.Text.Json;

namespace Gateway.Caching;

/// <summary>What a terminal body says about its own lifetime, read in one forward pass that also proves it is JSON.</summary>
internal sealed record JobBodyFacts(DateTimeOffset? CreatedAt, DateTimeOffset? EarliestUrlExpiry, bool HasUnparsedSignedUrl)
{
    /// <summary>Null when the body is not one complete JSON document: such a body is never stored.</summary>
    public static JobBodyFacts? Read(ReadOnlySpan<byte> json)
    {
        DateTimeOffset? createdAt = null, earliest = null;
        var unparsed = false;
        var createdAtNext = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        createdAtNext = reader.CurrentDepth == 1 && reader.ValueTextEquals("created_at"u8);
                        break;
                    case JsonTokenType.String:
                        if (createdAtNext &&
                            DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
                        {
                            createdAt = created;
                        }
                        else if (reader.ValueSpan.IndexOf((byte)'?') >= 0 || reader.ValueIsEscaped)
                        {
                            switch (PresignedUrl.TryGetExpiry(reader.GetString()!, out var expiry))
                            {
                                case PresignedUrl.Kind.Expires when earliest is null || expiry < earliest:
                                    earliest = expiry;
                                    break;
                                case PresignedUrl.Kind.Unparsed:
                                    unparsed = true;
                                    break;
                            }
                        }

                        createdAtNext = false;
                        break;
                    default:
                        createdAtNext = false;
                        break;
                }
            }

            // Reaching the end without an exception means one complete document: the reader runs in final-block mode.
            return new JobBodyFacts(createdAt, earliest, unparsed);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
