namespace Gateway.Usage;

/// <summary>What the usage ledger counts per team. The names are the report's and Redis's field names.</summary>
internal enum UsageCounter
{
    Requests,
    CacheHits,
    SharedAnswers,
    UpstreamCalls,
    ThrottledBudget,
    ThrottledTeamLimit,
    ThrottledQuota,
    ThrottledUpstream,

    /// <summary>Jobs the team created through the gateway (the ownership ledger recorded them).</summary>
    JobsCreated,

    /// <summary>Files the team uploaded through the gateway.</summary>
    FilesCreated,

    /// <summary>Creating calls (jobs and uploads) the gateway sent upstream for the team.</summary>
    CreationsForwarded,

    /// <summary>Creating calls answered with an earlier attempt's answer (an Idempotency-Key or an SDK retry): jobs not paid twice.</summary>
    CreationsReplayed,

    /// <summary>Of those, the SDK retries recognised by <c>x-stainless-retry-count</c> and the same body.</summary>
    RetriesRecognised,

    /// <summary>Job creations answered with the team's earlier Completed job of the same document and options: nothing created.</summary>
    CreationsReused,
}

/// <summary>Why a request was answered 429, kept on the request by whoever answered it so the ledger can say.</summary>
internal static class ThrottleCause
{
    private static readonly object ItemKey = new();

    public static void Set(HttpContext context, UsageCounter cause) => context.Items[ItemKey] = cause;

    /// <summary>The cause of a 429; one the gateway did not make itself passed Reducto's own on.</summary>
    public static UsageCounter Of(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var cause) && cause is UsageCounter known ? known : UsageCounter.ThrottledUpstream;
}
