using System.Text.Json;
using Gateway.Auth;

namespace Gateway.Ownership;

/// <summary>
/// Cuts a page of Reducto's <c>GET /jobs</c> to the jobs the caller may read, keeping everything else of the page as
/// Reducto wrote it (its cursor above all, so paging goes on through Reducto's own order). A page can therefore hold
/// fewer jobs than <c>limit</c>, or none while <c>next_cursor</c> still points further. Another team's entry, with its
/// <c>raw_config</c> (file ids, document URLs), never leaves the gateway.
/// </summary>
internal sealed class JobListFilter(OwnershipLedger ledger, JobAccess access)
{
    private static readonly byte[] EmptyPage = "{\"jobs\":[],\"next_cursor\":null}"u8.ToArray();

    public async Task<byte[]> FilterAsync(TeamPrincipal caller, byte[] page)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(page);
        }
        catch (JsonException)
        {
            // Nothing in it can be vouched for: an empty last page shows nobody anything.
            return EmptyPage;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("jobs", out var jobs) || jobs.ValueKind != JsonValueKind.Array)
            {
                return EmptyPage;
            }

            var entries = jobs.EnumerateArray().ToArray();
            var ids = entries.Select(static entry =>
                entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("job_id", out var id) && id.ValueKind == JsonValueKind.String
                    ? id.GetString() ?? string.Empty
                    : string.Empty).ToArray();
            var owners = await ledger.FindManyAsync(OwnedKind.Job, ids);

            using var output = new MemoryStream(page.Length);
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                foreach (var property in root.EnumerateObject())
                {
                    if (property.NameEquals("jobs"u8))
                    {
                        writer.WriteStartArray("jobs"u8);
                        for (var i = 0; i < entries.Length; i++)
                        {
                            // An entry without an id cannot be placed, so it is nobody's to see.
                            if (ids[i].Length > 0 && access.MayRead(caller, owners[i]?.Team))
                            {
                                entries[i].WriteTo(writer);
                            }
                        }

                        writer.WriteEndArray();
                    }
                    else
                    {
                        property.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }

            return output.ToArray();
        }
    }
}
