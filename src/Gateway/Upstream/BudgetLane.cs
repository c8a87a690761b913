namespace Gateway.Upstream;

/// <summary>Where a call that cannot be admitted at once waits for the upstream budget.</summary>
internal enum BudgetLane
{
    /// <summary>A caller's call: the teams that wait are served in turn.</summary>
    Caller,

    /// <summary>Before every caller: the rare read that ends work (a completion webhook's).</summary>
    Urgent,

    /// <summary>
    /// In its team's turn after the team's callers, first come first served: a refresh behind an answer already given,
    /// which nobody waits on. A team's order is the refresh queue's; a team's job with no answer anywhere is never read
    /// after it, and one team's refreshes are not held up by another team's thousands of refreshes or reads.
    /// </summary>
    Background,
}
