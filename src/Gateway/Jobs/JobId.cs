using System.Buffers;

namespace Gateway.Jobs;

/// <summary>
/// The job ids the gateway accepts. Reducto's schema says only "string", but every real id is a UUID; a strict
/// charset keeps the id safe to put in the upstream path and in a cache key without any escaping.
/// </summary>
internal static class JobId
{
    public const int MaxLength = 128;

    public const string Pattern = "^[A-Za-z0-9_-]{1,128}$";

    public const string Rule = "job_id must be 1 to 128 characters, each one of A-Z, a-z, 0-9, '_' or '-'.";

    private const string Allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    private static readonly SearchValues<char> s_allowed = SearchValues.Create(Allowed);

    private static readonly SearchValues<byte> s_allowedBytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(Allowed));

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength } && !value.AsSpan().ContainsAnyExcept(s_allowed);

    /// <summary>The same rule for an id still in the request's bytes (the direct path, before any string exists).</summary>
    public static bool IsValid(ReadOnlySpan<byte> value) =>
        value.Length is > 0 and <= MaxLength && !value.ContainsAnyExcept(s_allowedBytes);
}
