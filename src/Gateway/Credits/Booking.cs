namespace Gateway.Credits;

/// <summary>
/// One job's cost, booked to the team and key that created it on the UTC day the gateway learned it was over; or, when
/// <see cref="Saved"/>, an earlier job's cost that a reused creation did not spend again, booked to the team and key
/// that asked on the day it asked. Credits are kept in thousandths, so the figures add up exactly in Redis and in
/// every report.
/// </summary>
internal sealed class Booking(string jobId, string team, string keyId, DateTimeOffset at, long pages, long millicredits, bool saved = false)
{
    private int _sent;

    public string JobId => jobId;

    public string Team => team;

    public string KeyId => keyId;

    public DateTimeOffset At => at;

    public long Pages => pages;

    public long Millicredits => millicredits;

    public bool Saved => saved;

    /// <summary>Marks the first answer from Redis (or the local book without one); false on every later one.</summary>
    public bool FirstSent() => Interlocked.Exchange(ref _sent, 1) == 0;

    public static long ToMillicredits(decimal credits) => (long)Math.Round(credits * 1000m, MidpointRounding.AwayFromZero);
}

/// <summary>Jobs, pages and credits (in thousandths) added up over a span, for one team and key id, and what reuse saved.</summary>
internal sealed class CreditTally
{
    /// <summary>What a saving's fields are called in Redis: its booking's, behind this.</summary>
    public const string SavedPrefix = "saved_";

    public long Jobs { get; set; }

    public long Pages { get; set; }

    public long Millicredits { get; set; }

    public decimal Credits => Millicredits / 1000m;

    /// <summary>Creations answered with an earlier Completed job instead of a new one.</summary>
    public long JobsReused { get; set; }

    public long PagesSaved { get; set; }

    public long MillicreditsSaved { get; set; }

    public decimal CreditsSaved => MillicreditsSaved / 1000m;

    public void Add(Booking booking) => Add(booking.Saved, booking.Pages, booking.Millicredits);

    /// <summary>
    /// Adds one field of a Redis figures hash: <c>jobs</c>, <c>pages</c> or <c>millicredits</c>, each also behind
    /// <see cref="SavedPrefix"/>.
    /// </summary>
    public void Add(string metric, long value)
    {
        var saved = metric.StartsWith(SavedPrefix, StringComparison.Ordinal);
        switch (saved ? metric[SavedPrefix.Length..] : metric)
        {
            case "jobs":
                Add(saved, value, 0, 0);
                break;
            case "pages":
                Add(saved, 0, value, 0);
                break;
            case "millicredits":
                Add(saved, 0, 0, value);
                break;
        }
    }

    private void Add(bool saved, long pages, long millicredits) => Add(saved, 1, pages, millicredits);

    private void Add(bool saved, long jobs, long pages, long millicredits)
    {
        if (saved)
        {
            JobsReused += jobs;
            PagesSaved += pages;
            MillicreditsSaved += millicredits;
        }
        else
        {
            Jobs += jobs;
            Pages += pages;
            Millicredits += millicredits;
        }
    }
}
