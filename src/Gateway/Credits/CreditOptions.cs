using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Credits;

/// <summary>How the gateway books each job's credits and pages to the team that created it (<c>Credits:*</c>).</summary>
public sealed class CreditOptions
{
    public const string SectionName = "Credits";

    /// <summary>
    /// Credits booked per page for a Completed job whose <c>usage.credits</c> is null (Reducto has not priced it):
    /// the job's pages times this. Default 1, the legacy price of a plain parse page.
    /// </summary>
    [Range(typeof(decimal), "0", "1000")]
    public decimal PerPageWhenUnpriced { get; set; } = 1m;

    /// <summary>
    /// How long Redis remembers that a job was booked. A job read again through Reducto after this (one kept with
    /// <c>settings.persist_results</c>) is booked again; Reducto purges ordinary jobs within a day. It also bounds how
    /// far back a Redis that lost its data can be rebuilt without double counting. Default 35 days: over a month.
    /// </summary>
    [Range(typeof(TimeSpan), "2.00:00:00", "400.00:00:00")]
    public TimeSpan BookedRetention { get; set; } = TimeSpan.FromDays(35);

    /// <summary>How often each replica sends Redis what it booked while Redis was away, and checks Redis still holds its bookings.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bookings younger than this are sent again on every flush (idempotent): longer than a Redis failover takes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RewriteWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a replica trusts the month's shared figures when it checks a budget; a creation within it on another
    /// replica is not yet seen here. 0 reads Redis on every creation of a team with a budget.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan BudgetRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most bookings a replica keeps in memory (about 150 bytes each): what it books locally while Redis is away,
    /// and what it sends back to a Redis that lost its data. Past it the oldest are forgotten first.
    /// </summary>
    [Range(1_000, 100_000_000)]
    public int LocalBookings { get; set; } = 1_000_000;
}

[OptionsValidator]
internal sealed partial class CreditOptionsValidator : IValidateOptions<CreditOptions>;
