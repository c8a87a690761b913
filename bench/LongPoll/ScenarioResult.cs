namespace LongPoll;

/// <summary>One scenario's outcome, as written to its JSON file; times in ms relative to the job's completion.</summary>
internal sealed record ScenarioResult(
    string Name,
    string Description,
    string Job,
    int Callers,
    int Targets,
    string Mode,
    DateTimeOffset StartedAt,
    double SpreadMs,
    int Requests,
    int PendingAnswers,
    int TerminalCallers,
    int UnfinishedCallers,
    Dictionary<int, int> Non2xx,
    int SocketErrors,
    int Timeouts,
    int NoPreferenceApplied,
    DateTimeOffset? CompletesAt,
    double? FirstDelayMs,
    double? LastDelayMs,
    int UpstreamReads,
    int UpstreamReadsWhileArriving,
    int UpstreamReadsAfterCompletion,
    double? MinGapAfterArrivalMs,
    double? MaxGapAfterArrivalMs,
    double[] UpstreamReadsMs,
    double? WebhookSentMs,
    int? WebhookStatus,
    string? WebhookError)
{
    public int Errors => Non2xx.Values.Sum() + SocketErrors + Timeouts;
}
