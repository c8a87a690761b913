using System.Diagnostics.Metrics;

namespace Gateway.Telemetry;

/// <summary>
/// Per-team usage, so an operator can see which team spends the shared Reducto quota and how much the cache saves.
/// Every instrument carries the team's name (never its key). Upstream calls also go to the usage ledger, which
/// answers the teams' own usage questions.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _pendingShared;
    private readonly Counter<long> _upstreamRequests;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _bytesServed;
    private readonly Counter<long> _directHits;
    private readonly Counter<long> _staleAnswers;
    private readonly Histogram<double> _staleAnswerAge;
    private readonly UpDownCounter<long> _staleRefreshesInFlight;
    private readonly Counter<long> _creations;
    private readonly Counter<double> _credits;
    private readonly Counter<long> _pages;
    private readonly Counter<double> _creditsSaved;

    // Tag values are objects: boxing the status code anew would cost an allocation on every answered request.
    private static readonly object[] BoxedStatusCodes = [.. Enumerable.Range(0, 600).Select(static code => (object)code)];

    private readonly Usage.UsageLedger _usage;
    private readonly TimeProvider _time;

    public GatewayMetrics(IMeterFactory meterFactory, Usage.UsageLedger usage, TimeProvider time)
    {
        RecentStale = new RecentStaleAnswers(time);
        _usage = usage;
        _time = time;
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.requests", "{request}", "Requests answered, by team and route");
        _cacheHits = meter.CreateCounter<long>("gateway.cache.hits", "{request}", "Job reads answered from the cache");
        _pendingShared = meter.CreateCounter<long>(
            "gateway.pending.shared", "{request}", "Reads of a running job answered within its shared window: upstream reads the window saved");
        _upstreamRequests = meter.CreateCounter<long>("gateway.upstream.requests", "{request}", "Calls made to Reducto on a team's behalf");
        _throttled = meter.CreateCounter<long>("gateway.throttled", "{request}", "429 answers, from the gateway's budget or from Reducto");
        _bytesServed = meter.CreateCounter<long>("gateway.bytes.served", "By", "Response body bytes sent");
        _staleAnswers = meter.CreateCounter<long>(
            "gateway.stale.answers", "{request}", "Reads of a running job answered with its last answer past its window, because no upstream budget slot was free; also counted as shared answers");
        _staleAnswerAge = meter.CreateHistogram(
            "gateway.stale.answer.age", "s", "How long before a stale answer was served the upstream gave it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RecentStaleAnswers.Bounds });
        _staleRefreshesInFlight = meter.CreateUpDownCounter<long>(
            "gateway.stale.refreshes.in_flight", "{refresh}", "Upstream reads started behind stale answers that have not ended yet, most of them waiting for a budget slot");
        _creations = meter.CreateCounter<long>(
            "gateway.creations", "{request}", "Creating calls: sent upstream (outcome forwarded), answered with an earlier attempt's answer (outcome replayed, by idempotency_key or sdk_retry), or with the team's earlier Completed job (outcome reused)");
        _directHits = meter.CreateCounter<long>(
            "gateway.direct.hits", "{request}", "Cache hits and shared running answers answered on the socket below Kestrel's HTTP layer (Server:DirectHits); also counted as requests, cache hits or shared answers");
        _credits = meter.CreateCounter<double>(
            "gateway.credits", "{credit}", "Reducto credits of finished jobs, booked once per job to the team that created it, by the replica that booked it");
        _pages = meter.CreateCounter<long>("gateway.pages", "{page}", "Pages of finished jobs, booked with their credits");
        _creditsSaved = meter.CreateCounter<double>(
            "gateway.credits.saved", "{credit}", "Credits of earlier Completed jobs given to reused creations instead of a new job, booked to the team that asked");
    }

    /// <param name="cacheHit">Answered from the terminal cache.</param>
    /// <param name="pendingShared">A running job's answer shared within its window; never a cache hit too.</param>
    /// <param name="throttled">Why a 429 was answered: the <c>cause</c> tag the alert on Reducto's own 429s selects.</param>
    /// <param name="direct">Answered on the socket below Kestrel's HTTP layer: also counted on its own counter.</param>
    public void Answered(string team, string route, int statusCode, bool cacheHit, bool pendingShared, long? bytes, Usage.UsageCounter? throttled, bool direct)
    {
        var teamTag = new KeyValuePair<string, object?>("team", team);
        _requests.Add(1, teamTag, new("route", route), new("status", statusCode is >= 0 and < 600 ? BoxedStatusCodes[statusCode] : statusCode));
        if (cacheHit)
        {
            _cacheHits.Add(1, teamTag);
        }
        else if (pendingShared)
        {
            _pendingShared.Add(1, teamTag);
        }

        if (statusCode == StatusCodes.Status429TooManyRequests)
        {
            _throttled.Add(1, teamTag, new("route", route), new("cause", CauseTag(throttled ?? Usage.UsageCounter.ThrottledUpstream)));
        }

        if (bytes is > 0)
        {
            _bytesServed.Add(bytes.Value, teamTag, new("route", route));
        }

        if (direct)
        {
            _directHits.Add(1, teamTag);
        }
    }

    /// <summary>The last minute's stale answers by age, for the operations page.</summary>
    public RecentStaleAnswers RecentStale { get; }

    /// <summary>A running job's last answer, given by the upstream at <paramref name="answeredAt"/>, served stale with a refresh behind it.</summary>
    public void StaleAnswer(string team, DateTimeOffset answeredAt)
    {
        var teamTag = new KeyValuePair<string, object?>("team", team);
        var age = _time.GetUtcNow() - answeredAt;
        _staleAnswers.Add(1, teamTag);
        _staleAnswerAge.Record(age.TotalSeconds, teamTag);
        RecentStale.Record(age);
    }

    /// <summary>A refresh behind stale answers started (+1) or ended (-1): one per flight, not per stale answer that joined it.</summary>
    public void StaleRefreshInFlight(int delta) => _staleRefreshesInFlight.Add(delta);

    private static string CauseTag(Usage.UsageCounter cause) => cause switch
    {
        Usage.UsageCounter.ThrottledBudget => "upstream_budget",
        Usage.UsageCounter.ThrottledTeamLimit => "team_limit",
        Usage.UsageCounter.ThrottledQuota => "quota",
        _ => "reducto",
    };

    /// <summary>A creating call sent upstream; also counted as an upstream call.</summary>
    public void CreationForwarded(string team, string route)
    {
        _creations.Add(1, new KeyValuePair<string, object?>("team", team), new("route", route), new("outcome", "forwarded"));
        _usage.Count(team, Usage.UsageCounter.CreationsForwarded);
    }

    /// <param name="reason"><c>idempotency_key</c> or <c>sdk_retry</c>.</param>
    public void CreationReplayed(string team, string route, string reason)
    {
        _creations.Add(1, new KeyValuePair<string, object?>("team", team), new("route", route), new("outcome", "replayed"), new("reason", reason));
        _usage.Count(team, Usage.UsageCounter.CreationsReplayed);
        if (reason == "sdk_retry")
        {
            _usage.Count(team, Usage.UsageCounter.RetriesRecognised);
        }
    }

    /// <summary>A creating call answered with the team's earlier Completed job: nothing was sent upstream.</summary>
    public void CreationReused(string team, string route)
    {
        _creations.Add(1, new KeyValuePair<string, object?>("team", team), new("route", route), new("outcome", "reused"));
        _usage.Count(team, Usage.UsageCounter.CreationsReused);
    }

    public void UpstreamCall(string team, string route)
    {
        _upstreamRequests.Add(1, new KeyValuePair<string, object?>("team", team), new("route", route));
        _usage.Count(team, Usage.UsageCounter.UpstreamCalls);
    }

    /// <summary>An earlier job's cost that a reused creation of <paramref name="team"/>'s did not spend again.</summary>
    public void CreditsSaved(string team, double credits) => _creditsSaved.Add(credits, new KeyValuePair<string, object?>("team", team));

    /// <summary>A job's cost booked to <paramref name="team"/>: counted by the one replica that booked it.</summary>
    public void CreditsBooked(string team, long pages, double credits)
    {
        var teamTag = new KeyValuePair<string, object?>("team", team);
        _credits.Add(credits, teamTag);
        _pages.Add(pages, teamTag);
    }
}
