namespace Gateway.Ownership;

/// <summary>The byte-level rule for which string values are references, shared so every path applies the same one.</summary>
internal static class ReferenceSchemes
{
    public static ReadOnlySpan<byte> File => "reducto://"u8;

    public static ReadOnlySpan<byte> Job => "jobid://"u8;

    /// <param name="value">The decoded string value.</param>
    /// <param name="isFileId">The value of a <c>file_id</c> property: an upload even without its scheme.</param>
    public static ReferenceKind? Classify(ReadOnlySpan<byte> value, bool isFileId)
    {
        var trimmed = value.TrimStart(" \t\r\n\f\v"u8);
        // A file_id holding jobid:// names a job; the scheme says what the value is, whichever field holds it.
        return StartsWithIgnoreCase(trimmed, Job) ? ReferenceKind.Job
            : isFileId || StartsWithIgnoreCase(trimmed, File) ? ReferenceKind.File
            : null;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix) =>
        value.Length >= prefix.Length && System.Text.Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix);
}
