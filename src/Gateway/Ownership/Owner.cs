using System.Globalization;

namespace Gateway.Ownership;

/// <summary>What the ledger holds about a job or a file: which team created it, with which key, through which route, when.</summary>
internal sealed record Owner(string Team, string KeyId, string Route, DateTimeOffset CreatedAt)
{
    // Team names and key ids come from configuration keys and route names from the route table, none of which can
    // hold a line feed, so one line each is an unambiguous form.
    public string Serialize() =>
        string.Join('\n', Team, KeyId, Route, CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

    /// <summary>Null for anything this version did not write.</summary>
    public static Owner? Deserialize(string? stored)
    {
        var parts = stored?.Split('\n');
        return parts is { Length: 4 } && parts[0].Length > 0 &&
            long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            ? new Owner(parts[0], parts[1], parts[2], DateTimeOffset.FromUnixTimeMilliseconds(at))
            : null;
    }
}

/// <summary>What a ledger record is about: Reducto's jobs and uploaded files have separate id spaces.</summary>
internal enum OwnedKind
{
    Job,
    File,
}
