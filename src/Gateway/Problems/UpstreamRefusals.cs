using Gateway.Auth;
using Gateway.Teams;
using Gateway.Upstream;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Problems;

/// <summary>
/// The problem answers for a call the gateway could not make or did not get answered, each with the retry hint its
/// cause implies: the budget's next free slot, the breaker's remaining break, the quota's reset. Endpoints say what
/// went wrong; this knows what to tell the caller about when to come back.
/// </summary>
internal sealed class UpstreamRefusals(UpstreamBudget budget, UpstreamCircuit circuit, TeamQuotas quotas, IOptions<UpstreamOptions> upstream)
{
    public ProblemHttpResult BudgetExhausted(HttpContext context, bool jobPoll) =>
        GatewayProblems.BudgetExhausted(context, budget.RetryAfter(jobPoll));

    public ProblemHttpResult QuotaExceeded(HttpContext context) =>
        GatewayProblems.QuotaExceeded(context, context.Team(), quotas.View(context.Team()));

    /// <summary>The answer for a job read that failed; <paramref name="failure"/> is never <see cref="UpstreamFailure.None"/>.</summary>
    public ProblemHttpResult ForJobRead(HttpContext context, UpstreamFailure failure) => failure switch
    {
        UpstreamFailure.Unreachable => GatewayProblems.UpstreamUnreachable(context),
        UpstreamFailure.TimedOut => GatewayProblems.UpstreamTimeout(context),
        UpstreamFailure.TooLarge => GatewayProblems.UpstreamTooLarge(context),
        UpstreamFailure.BudgetExhausted => BudgetExhausted(context, jobPoll: true),
        UpstreamFailure.QuotaExceeded => QuotaExceeded(context),
        UpstreamFailure.CircuitOpen => GatewayProblems.UpstreamCircuitOpen(context, Throttled(circuit.RemainingBreak)),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, "Not a failure."),
    };

    /// <summary>When to retry after the upstream throttled us: its own hint, bounded, or the configured default.</summary>
    public TimeSpan Throttled(TimeSpan? hint) => RetryAfterHint.Bounded(hint, upstream.Value.ThrottledRetryAfter);
}
