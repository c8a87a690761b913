using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Tests that read counts from a gateway's <c>/metrics</c>. Every gateway in this process exports every meter named
/// "Gateway", and disposing one gateway's meter stops the others' instruments of that name from being exported
/// (open-telemetry/opentelemetry-dotnet#6412), so these run on their own, while no other gateway comes or goes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScrapedMetricsTests
{
    public const string Name = "scraped metrics";

    /// <summary>The gateway's <c>/metrics</c> page, asked without a key as a scraper does.</summary>
    public static async Task<string> ScrapeAsync(GatewayFactory gateway, CancellationToken cancellationToken)
    {
        using var anonymous = gateway.CreateClient(gatewayKey: null);
        using var response = await anonymous.GetAsync("/metrics", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>The sum of a counter's series for one team.</summary>
    public static long Value(string metrics, string name, string team) =>
        Regex.Matches(metrics, "^" + Regex.Escape(name) + "\\{([^}]*)\\} ([0-9.eE+]+)", RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value.Contains($"team=\"{team}\"", StringComparison.Ordinal))
            .Sum(m => (long)double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
}
