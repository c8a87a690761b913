namespace Gateway.Ownership;

/// <summary>
/// The one spelling of an id the ledger keys on, whatever spelling a caller uses: without its scheme, trimmed of
/// ASCII white space, lower case, and for a file without its extension (<c>reducto://ABC.pdf</c> is <c>abc</c>).
/// Folding can only make two spellings meet, never part: a foreign id written another way still finds its owner and
/// is refused, and an owner's own id written another way is still theirs.
/// </summary>
internal static class OwnedIds
{
    private const string WhiteSpace = " \t\r\n\f\v";

    // Routing leaves %2F encoded in a path value (DELETE /upload/reducto%3A%2F%2F…), and Reducto decodes it: the ledger
    // decodes until nothing changes, so every encoding of an id, however deep, meets the id it stands for.
    private const int MaxDecodings = 4;

    public static string Normalise(OwnedKind kind, string raw) => kind == OwnedKind.Job ? Job(raw) : File(raw);

    public static string Job(string raw) => Without(raw, "jobid://").ToString().ToLowerInvariant();

    public static string File(string raw)
    {
        var id = Without(raw, "reducto://");
        var dot = id.IndexOf('.');
        return (dot < 0 ? id : id[..dot]).ToString().ToLowerInvariant();
    }

    private static ReadOnlySpan<char> Without(string raw, string scheme)
    {
        var value = Decoded(raw).AsSpan().Trim(WhiteSpace);
        return (value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? value[scheme.Length..] : value).Trim(WhiteSpace);
    }

    private static string Decoded(string raw)
    {
        for (var i = 0; i < MaxDecodings && raw.Contains('%', StringComparison.Ordinal); i++)
        {
            var decoded = Uri.UnescapeDataString(raw);
            if (decoded == raw)
            {
                break;
            }

            raw = decoded;
        }

        return raw;
    }
}
