using System.Globalization;

namespace LongPoll;

/// <summary>One scenario's callers, from <c>--name value</c> pairs.</summary>
internal sealed record RunSettings(
    string Name,
    string Description,
    IReadOnlyList<Uri> Targets,
    Uri StandIn,
    string Job,
    int Callers,
    int? WaitSeconds,
    TimeSpan Every,
    string Key,
    TimeSpan Spread,
    TimeSpan Deadline,
    string Out)
{
    public static RunSettings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string Required(string name) =>
            values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");
        double Seconds(string name, double fallback) =>
            values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

        return new RunSettings(
            Required("name"),
            values.GetValueOrDefault("description", ""),
            [.. Required("targets").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.TrimEnd('/') + "/"))],
            new Uri(Required("standin").TrimEnd('/') + "/"),
            Required("job"),
            int.Parse(Required("callers"), CultureInfo.InvariantCulture),
            values.TryGetValue("wait", out var wait) ? int.Parse(wait, CultureInfo.InvariantCulture) : null,
            TimeSpan.FromSeconds(Seconds("every", 1)),
            values.GetValueOrDefault("key", ""),
            TimeSpan.FromSeconds(Seconds("spread", 1)),
            TimeSpan.FromSeconds(Seconds("deadline", 90)),
            Required("out"));
    }
}
