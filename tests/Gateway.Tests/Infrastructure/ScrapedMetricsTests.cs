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
}
