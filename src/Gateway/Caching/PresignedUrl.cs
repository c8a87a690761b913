using System.Globalization;

namespace Gateway.Caching;

/// <summary>
/// Finds when a presigned URL stops working. Reducto runs on AWS, GCP and Azure, so result bodies may carry S3 SigV4
/// (<c>X-Amz-Date</c> + <c>X-Amz-Expires</c>), GCS V4 (<c>X-Goog-Date</c> + <c>X-Goog-Expires</c>), Azure SAS
/// (<c>se=</c>) or the older V2 form (<c>Expires=</c> unix seconds next to a signature).
/// </summary>
internal static class PresignedUrl
{
    public enum Kind
    {
        NotSigned,
        Expires,
        Unparsed,
    }

    /// <summary>Whether <paramref name="url"/> carries a signature of any of the forms above.</summary>
    public static bool IsSigned(string url) => TryGetExpiry(url, out _) != Kind.NotSigned;

    public static Kind TryGetExpiry(string url, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        var query = url.AsSpan();
        var start = query.IndexOf('?');
        if (start < 0 || !url.Contains("://", StringComparison.Ordinal))
        {
            return Kind.NotSigned;
        }

        query = query[(start + 1)..];
        var hash = query.IndexOf('#');
        if (hash >= 0)
        {
            query = query[..hash];
        }

        string? amzDate = null, amzExpires = null, googDate = null, googExpires = null, azureEnd = null, v2Expires = null;
        bool amz = false, goog = false, azure = false, v2Signed = false;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var name = pair[..eq];
            var value = Uri.UnescapeDataString(pair[(eq + 1)..].ToString());
            if (name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase))
            {
                amz |= name.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Amz-Expires", StringComparison.OrdinalIgnoreCase) ||
                    name.Equals("X-Amz-Credential", StringComparison.OrdinalIgnoreCase);
                if (name.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)) amzDate = value;
                if (name.Equals("X-Amz-Expires", StringComparison.OrdinalIgnoreCase)) amzExpires = value;
            }
            else if (name.StartsWith("X-Goog-", StringComparison.OrdinalIgnoreCase))
            {
                goog |= name.Equals("X-Goog-Signature", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Goog-Expires", StringComparison.OrdinalIgnoreCase) ||
                    name.Equals("X-Goog-Credential", StringComparison.OrdinalIgnoreCase);
                if (name.Equals("X-Goog-Date", StringComparison.OrdinalIgnoreCase)) googDate = value;
                if (name.Equals("X-Goog-Expires", StringComparison.OrdinalIgnoreCase)) googExpires = value;
            }
            else if (name.SequenceEqual("sig"))
            {
                azure = true;
            }
            else if (name.SequenceEqual("se"))
            {
                azureEnd = value;
            }
            else if (name.SequenceEqual("Expires"))
            {
                v2Expires = value;
            }
            else if (name.SequenceEqual("Signature"))
            {
                v2Signed = true;
            }
        }

        if (amz)
        {
            return FromDateAndSeconds(amzDate, amzExpires, out expiresAt);
        }

        if (goog)
        {
            return FromDateAndSeconds(googDate, googExpires, out expiresAt);
        }

        if (azure)
        {
            return DateTimeOffset.TryParse(azureEnd, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out expiresAt)
                ? Kind.Expires
                : Kind.Unparsed;
        }

        if (v2Signed)
        {
            if (long.TryParse(v2Expires, NumberStyles.None, CultureInfo.InvariantCulture, out var unix))
            {
                expiresAt = DateTimeOffset.FromUnixTimeSeconds(unix);
                return Kind.Expires;
            }

            return Kind.Unparsed;
        }

        return Kind.NotSigned;
    }

    private static Kind FromDateAndSeconds(string? date, string? seconds, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        if (DateTimeOffset.TryParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt) &&
            long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var lifetime))
        {
            expiresAt = signedAt.AddSeconds(lifetime);
            return Kind.Expires;
        }

        return Kind.Unparsed;
    }
}
