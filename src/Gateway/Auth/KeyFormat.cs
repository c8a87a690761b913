using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Auth;

/// <summary>How a configured key is written (a SHA-256 hash, or the key itself) and what makes one acceptable.</summary>
internal static partial class KeyFormat
{
    public const string HashPrefix = "sha256:";
    public const int MinimumPlainLength = 16;

    /// <summary>What is wrong with a configured key, naming <paramref name="setting"/>; null when it is good.</summary>
    public static string? Problem(string setting, string? key) =>
        string.IsNullOrWhiteSpace(key) ? $"{setting} is empty."
        : key.StartsWith(HashPrefix, StringComparison.Ordinal) ? Sha256Hex().IsMatch(key.AsSpan(HashPrefix.Length)) ? null : $"{setting} must be sha256: followed by 64 hex digits."
        : key.Length < MinimumPlainLength ? $"{setting} is shorter than {MinimumPlainLength} characters."
        : null;

    public static byte[] HashOf(string configured) =>
        configured.StartsWith(HashPrefix, StringComparison.Ordinal)
            ? Convert.FromHexString(configured.AsSpan(HashPrefix.Length))
            : SHA256.HashData(Encoding.UTF8.GetBytes(configured));

    /// <summary>Team names and key ids: what shows in logs and metric labels, so a safe, short alphabet.</summary>
    public static bool IsName(string name) => Name().IsMatch(name);

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex Name();
}
