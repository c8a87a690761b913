using System.Security.Claims;

namespace Gateway.Auth;

/// <summary>Why a request's key opened nothing, for the 401 or 403 that answers it.</summary>
internal enum KeyRefusal
{
    None,
    Missing,
    Unknown,
    Expired,
    Revoked,
    InsufficientScope,
}

/// <summary>What a presented key opens: a principal, the configured key it matched (none for the admin key), or why not.</summary>
internal readonly record struct KeyMatch(ClaimsPrincipal? Principal, KeyEntry? Entry, KeyRefusal Refusal)
{
    public static readonly KeyMatch Missing = new(null, null, KeyRefusal.Missing);
    public static readonly KeyMatch Unknown = new(null, null, KeyRefusal.Unknown);

    /// <summary>This match as of <paramref name="now"/>: a key past its <c>NotAfter</c> opens nothing.</summary>
    public KeyMatch At(DateTimeOffset now) =>
        Entry is { NotAfter: { } notAfter } && now >= notAfter ? new KeyMatch(null, Entry, KeyRefusal.Expired) : this;
}
