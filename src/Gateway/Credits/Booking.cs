namespace Gateway.Credits;

/// <summary>
/// One job's cost, booked to the team and key that created it on the UTC day the gateway learned it was over. Credits
/// are kept in thousandths, so the figures add up exactly in Redis and in every report.
/// </summary>
internal sealed class Booking(string jobId, string team, string keyId, DateTimeOffset at, long pages, long millicredits)
{
    private int _sent;

    public string JobId => jobId;

    public string Team => team;

    public string KeyId => keyId;

    public DateTimeOffset At => at;

    public long Pages => pages;

    public long Millicredits => millicredits;

    /// <summary>Marks the first answer from Redis (or the local book without one); false on every later one.</summary>
    public bool FirstSent() => Interlocked.Exchange(ref _sent, 1) == 0;

    public static long ToMillicredits(decimal credits) => (long)Math.Round(credits * 1000m, MidpointRounding.AwayFromZero);
}

/// <summary>Jobs, pages and credits (in thousandths) added up over a span, for one team and key id.</summary>
internal sealed class CreditTally
{
    public long Jobs { get; set; }

    public long Pages { get; set; }

    public long Millicredits { get; set; }

    public decimal Credits => Millicredits / 1000m;

    public void Add(Booking booking)
    {
        Jobs++;
        Pages += booking.Pages;
        Millicredits += booking.Millicredits;
    }

    /// <summary>Adds one field of a Redis figures hash (<c>jobs</c>, <c>pages</c> or <c>millicredits</c>).</summary>
    public void Add(string metric, long value)
    {
        switch (metric)
        {
            case "jobs":
                Jobs += value;
                break;
            case "pages":
                Pages += value;
                break;
            case "millicredits":
                Millicredits += value;
                break;
        }
    }
}
