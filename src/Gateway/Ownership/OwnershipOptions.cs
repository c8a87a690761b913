using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Ownership;

/// <summary>How long the ownership ledger keeps who created what, and how it repairs a Redis that lost records.</summary>
public sealed class OwnershipOptions
{
    public const string SectionName = "Ownership";

    /// <summary>
    /// How long a job's or file's owner is kept. Reducto purges jobs within 12 to 24 hours, so the default (3 days)
    /// outlives every job unless <c>settings.persist_results</c> keeps it longer; raise it for those. A job past it
    /// counts as unowned (<c>Jobs:UnownedJobs</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// How often each replica writes to Redis what it recorded while Redis was away, checks that Redis still holds
    /// its records (a restart without persistence loses them) and writes again the records of the last
    /// <see cref="RewriteWindow"/> (a failover can drop the last acknowledged writes).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Records younger than this are written to Redis again on every sync: longer than a failover takes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RewriteWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most records a replica keeps in memory: its own (to write them back into a Redis that lost them) and owners
    /// it looked up (so a poll of a known job costs no round trip). Past it the oldest are forgotten first.
    /// </summary>
    [Range(1_000, 100_000_000)]
    public int LocalRecords { get; set; } = 1_000_000;
}

[OptionsValidator]
internal sealed partial class OwnershipOptionsValidator : IValidateOptions<OwnershipOptions>;
