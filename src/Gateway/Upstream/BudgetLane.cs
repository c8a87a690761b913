namespace Gateway.Upstream;

/// <summary>Where a call that cannot be admitted at once waits for the upstream budget.</summary>
internal enum BudgetLane
{
    /// <summary>A caller's call: the teams that wait are served in turn.</summary>
    Caller,

    /// <summary>Before every caller: the rare read that ends work (a completion webhook's).</summary>
    Urgent,

    /// <summary>
    /// After every caller, the teams in turn, each team's first come first served: a refresh behind an answer already
    /// given, which nobody waits on. A team's order is the refresh queue's; a job with no answer anywhere is never read
    /// after it, and a team with a few jobs is not read after another's thousands.
    /// </summary>
    Background,
}
