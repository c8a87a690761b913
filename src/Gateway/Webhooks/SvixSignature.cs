using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Webhooks;

/// <summary>
/// Svix's webhook signature: HMAC-SHA256, keyed with the base64 part of the <c>whsec_</c> secret, over
/// <c>{svix-id}.{svix-timestamp}.{body}</c>, sent base64-encoded in <c>svix-signature</c> as space-separated
/// <c>v1,&lt;signature&gt;</c> entries (several while a secret is being rotated). The timestamp must be recent, so a
/// captured delivery cannot be replayed later.
/// </summary>
internal static class SvixSignature
{
    public const string IdHeader = "svix-id";
    public const string TimestampHeader = "svix-timestamp";
    public const string SignatureHeader = "svix-signature";
    private const string SecretPrefix = "whsec_";
    private const string VersionPrefix = "v1,";

    public static bool TryDecodeSecret(string secret, out byte[] key)
    {
        key = [];
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : null;
        if (string.IsNullOrEmpty(encoded))
        {
            return false;
        }

        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written) || written == 0)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }

    public static bool IsValid(IHeaderDictionary headers, ReadOnlySpan<byte> body, byte[] key, DateTimeOffset now, TimeSpan tolerance)
    {
        string? id = headers[IdHeader];
        string? timestamp = headers[TimestampHeader];
        string? signatures = headers[SignatureHeader];
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(signatures) ||
            !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ||
            Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
        {
            return false;
        }

        var signed = new byte[Encoding.UTF8.GetByteCount(id) + timestamp!.Length + body.Length + 2];
        var at = Encoding.UTF8.GetBytes(id, signed);
        signed[at++] = (byte)'.';
        at += Encoding.ASCII.GetBytes(timestamp, signed.AsSpan(at));
        signed[at++] = (byte)'.';
        body.CopyTo(signed.AsSpan(at));
        var expected = HMACSHA256.HashData(key, signed);

        var valid = false;
        Span<byte> presented = stackalloc byte[64];
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Every entry is checked, in constant time each, so the answer's timing says nothing about which matched.
            if (entry.StartsWith(VersionPrefix, StringComparison.Ordinal) &&
                Convert.TryFromBase64String(entry[VersionPrefix.Length..], presented, out var length) &&
                length == expected.Length)
            {
                valid |= CryptographicOperations.FixedTimeEquals(presented[..length], expected);
            }
        }

        return valid;
    }
}
