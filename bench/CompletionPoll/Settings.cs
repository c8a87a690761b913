using System.Globalization;

namespace CompletionPoll;

/// <summary>One load's tracked jobs, from <c>--name value</c> pairs.</summary>
internal sealed record Settings(
    IReadOnlyList<Uri> Targets,
    Uri StandIn,
    string Key,
    string Tag,
    int Plain,
    int Hooked,
    TimeSpan Every,
    TimeSpan Probe,
    int CompleteAfter,
    int Spread,
    TimeSpan Deadline,
    int HookPort,
    Uri? HookTo,
    int Seed,
    string Out)
{
    public static Settings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string Required(string name) =>
            values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");
        int Int(string name, int fallback) =>
            values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        double Double(string name) => double.Parse(Required(name), CultureInfo.InvariantCulture);

        return new Settings(
            [.. Required("targets").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(static u => new Uri(u.TrimEnd('/') + "/"))],
            new Uri(Required("standin").TrimEnd('/') + "/"),
            Required("key"),
            Required("tag"),
            Int("plain", 0),
            Int("hooked", 0),
            TimeSpan.FromMilliseconds(Double("every-ms")),
            TimeSpan.FromMilliseconds(Int("probe-ms", 10)),
            Int("complete-after", 0),
            Int("spread", 1),
            TimeSpan.FromSeconds(Double("deadline")),
            int.Parse(Required("hook-port"), CultureInfo.InvariantCulture),
            values.TryGetValue("hook-to", out var hookTo) ? new Uri(hookTo) : null,
            Int("seed", Environment.TickCount),
            Required("out"));
    }
}
