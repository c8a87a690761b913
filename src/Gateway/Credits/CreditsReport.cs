namespace Gateway.Credits;

/// <summary>
/// A team's credits and pages as the usage endpoints answer them: today and this month (UTC), the last 60 minutes,
/// the same per key id, and its budget when it has one. Booked when the gateway learned each job was over.
/// </summary>
internal sealed record CreditsReport(CreditFigures Today, CreditFigures ThisMonth, CreditFigures LastHour, IReadOnlyList<KeyCredits> Keys, CreditBudgetReport? Budget)
{
    public static CreditsReport For(IEnumerable<CreditPeriods> periods, CreditBudgetReport? budget)
    {
        var keys = periods.Select(static p => new KeyCredits(p.KeyId, CreditFigures.From(p.Today), CreditFigures.From(p.ThisMonth), CreditFigures.From(p.LastHour))).ToArray();
        return new CreditsReport(
            CreditFigures.Sum(keys.Select(static k => k.Today)), CreditFigures.Sum(keys.Select(static k => k.ThisMonth)),
            CreditFigures.Sum(keys.Select(static k => k.LastHour)), keys, budget);
    }
}

/// <summary>Jobs booked, their pages and their credits (to a thousandth); creations answered by reuse, and the credits that saved.</summary>
/// <param name="JobsReused">Creations answered with an earlier Completed job of the team's (<c>Teams:&lt;team&gt;:ReuseCompletedJobs</c>).</param>
/// <param name="CreditsSaved">What those earlier jobs cost, which the reuses did not spend again.</param>
internal sealed record CreditFigures(long Jobs, long Pages, decimal Credits, long JobsReused, decimal CreditsSaved)
{
    public static CreditFigures From(CreditTally tally) => new(tally.Jobs, tally.Pages, tally.Credits, tally.JobsReused, tally.CreditsSaved);

    public static CreditFigures Sum(IEnumerable<CreditFigures> figures) => figures.Aggregate(new CreditFigures(0, 0, 0m, 0, 0m), static (sum, f) =>
        new(sum.Jobs + f.Jobs, sum.Pages + f.Pages, sum.Credits + f.Credits, sum.JobsReused + f.JobsReused, sum.CreditsSaved + f.CreditsSaved));
}

/// <summary>One key id's share: which of a team's keys ran the bill up.</summary>
internal sealed record KeyCredits(string KeyId, CreditFigures Today, CreditFigures ThisMonth, CreditFigures LastHour);

/// <summary>A team's monthly budget (<c>Teams:&lt;team&gt;:CreditsPerMonth</c>) and how much of it is used, as this replica last read it.</summary>
internal sealed record CreditBudgetReport(decimal CreditsPerMonth, decimal Used, int? WarnPercent, bool Exceeded, DateTimeOffset ResetsAt);

/// <summary>A team's credits this month (UTC) and, when it has a budget, how much of it they use (1 is the hard line).</summary>
/// <param name="CreditsSaved">What reuse of the team's completed jobs saved this month; not part of the budget.</param>
internal sealed record TeamMonthCredits(string Team, decimal Credits, decimal? CreditsPerMonth, double? UsedRatio, int? WarnPercent, decimal CreditsSaved);
