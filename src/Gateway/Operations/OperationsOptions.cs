using System.ComponentModel.DataAnnotations;

namespace Gateway.Operations;

/// <summary>How the operations view (<c>GET /admin</c>, <c>GET /admin/overview</c>) keeps its history.</summary>
public sealed class OperationsOptions
{
    public const string SectionName = "Operations";

    /// <summary>
    /// How often each replica reads the last minutes' figures (from Redis when configured: four small reads) into its
    /// history, and how often the page refreshes. However many people watch, the figures cost one read per interval;
    /// they are this much older than the traffic at most (plus the usage ledger's 2 s flush with several replicas).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);
}
