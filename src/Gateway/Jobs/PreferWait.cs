using System.Globalization;

namespace Gateway.Jobs;

/// <summary>The <c>wait</c> preference of RFC 7240 (<c>Prefer: wait=30</c>, possibly among other preferences).</summary>
internal static class PreferWait
{
    public const string AppliedHeader = "Preference-Applied";

    /// <summary>The wait asked for, capped at <paramref name="max"/>; null when none (or an unreadable one) was asked for.</summary>
    public static TimeSpan? Read(HttpRequest request, TimeSpan max)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // Parameters after ';' belong to the preference and mean nothing for wait.
                var token = preference.Split(';', 2)[0];
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0 || !token.AsSpan(0, equals).Trim().Equals("wait", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var value = token.AsSpan(equals + 1).Trim().Trim('"');
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                    ? TimeSpan.FromSeconds(Math.Min(seconds, max.TotalSeconds))
                    : null;
            }
        }

        return null;
    }

    public static string Applied(TimeSpan wait) => "wait=" + ((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
