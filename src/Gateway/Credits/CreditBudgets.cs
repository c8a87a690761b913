using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Teams;
using Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Gateway.Credits;

/// <summary>
/// Monthly credit budgets per team (<c>Teams:&lt;team&gt;:CreditsPerMonth</c>, warning at <c>CreditsWarnPercent</c>).
/// The month's figure is the deployment's, read from Redis at most every <see cref="CreditOptions.BudgetRefresh"/>
/// and raised at once by what this replica books; without Redis it is this replica's own. Credits are known only
/// when a job finishes, so jobs still running when the line is crossed are not stopped and can overshoot it.
/// </summary>
internal sealed class CreditBudgets
{
    private readonly CreditLedger _ledger;
    private readonly CreditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CreditBudgets> _logger;
    private readonly Dictionary<string, (long Limit, int? WarnPercent)> _budgets;
    private readonly ConcurrentDictionary<(string Team, string Month), byte> _warned = new();
    private volatile Snapshot _snapshot = Snapshot.Empty(string.Empty);

    public CreditBudgets(CreditLedger ledger, IOptions<TeamOptions> teams, IOptions<CreditOptions> options, IMeterFactory meters, TimeProvider time, ILogger<CreditBudgets> logger)
    {
        _ledger = ledger;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _budgets = teams.Value.Teams.Where(static t => t.Value.CreditsPerMonth is not null).ToDictionary(
            static t => t.Key, static t => (Booking.ToMillicredits(t.Value.CreditsPerMonth!.Value), t.Value.CreditsWarnPercent), StringComparer.Ordinal);
        ledger.Booked += OnBooked;
        var meter = meters.Create(GatewayMetrics.MeterName);
        meter.CreateObservableGauge("gateway.credit_budget.used_ratio", Ratios, "{ratio}",
            "This month's booked credits over Teams:<team>:CreditsPerMonth, as this replica last read them");
        meter.CreateObservableGauge("gateway.credit_budget.warn_ratio", () => _budgets.Select(static b =>
            new Measurement<double>((b.Value.WarnPercent ?? 100) / 100.0, new KeyValuePair<string, object?>("team", b.Key))), "{ratio}",
            "Teams:<team>:CreditsWarnPercent over 100: where the budget's warning starts (1 without one)");
    }

    /// <summary>
    /// For a job-creating route: a 429 <c>credit-budget-exceeded</c> problem when the team has used its month's
    /// budget, with <c>Retry-After</c> until 00:00 UTC on the 1st; null to let the creation through. Reads are never refused.
    /// </summary>
    public static async Task<IResult?> CheckAsync(HttpContext context, Ownership.OwnershipRole role)
    {
        if (role != Ownership.OwnershipRole.CreatesJob)
        {
            return null;
        }

        var budgets = context.RequestServices.GetRequiredService<CreditBudgets>();
        var team = Auth.TeamExtensions.Team(context);
        if (!budgets._budgets.TryGetValue(team, out var budget))
        {
            return null;
        }

        var used = await budgets.UsedAsync(team);
        if (used < budget.Limit)
        {
            return null;
        }

        budgets._logger.BudgetExceeded(team, used / 1000m, budget.Limit / 1000m);
        return Problems.GatewayProblems.CreditBudgetExceeded(context, team, used / 1000m, budget.Limit / 1000m, ResetAfter(budgets._time.GetUtcNow()));
    }

    /// <summary>The team's budget and use for the usage endpoints; null when it has none.</summary>
    public async Task<CreditBudgetReport?> ReportAsync(string team)
    {
        if (!_budgets.TryGetValue(team, out var budget))
        {
            return null;
        }

        var used = await UsedAsync(team);
        return new CreditBudgetReport(budget.Limit / 1000m, used / 1000m, budget.WarnPercent, used >= budget.Limit, ResetAfter(_time.GetUtcNow()));
    }

    /// <summary>
    /// Reads the month's figures from Redis again (the flusher calls it, so the gauge, the warning and the operations
    /// page follow other replicas): one HGETALL per flush, with or without budgets.
    /// </summary>
    public async Task RefreshAsync()
    {
        var now = _time.GetUtcNow();
        var month = CreditLedger.Month(now);
        var totals = _ledger.Configured ? await _ledger.ReadMonthTotalsAsync(month) : null;
        if (totals is not null || _snapshot.Month != month)
        {
            _snapshot = Snapshot.Of(month, now, totals);
        }

        foreach (var team in _budgets.Keys)
        {
            Warn(team, await UsedAsync(team), month);
        }
    }

    /// <summary>
    /// Every team's credits this month, with its budget when it has one, from the last figures read (no Redis read):
    /// teams with a budget, and teams with bookings this month.
    /// </summary>
    public IReadOnlyList<TeamMonthCredits> ThisMonth()
    {
        var month = CreditLedger.Month(_time.GetUtcNow());
        var snapshot = _snapshot;
        var used = !_ledger.Configured ? _ledger.OwnMonthTotals(month)
            : snapshot.Month == month ? snapshot.Used.ToDictionary(StringComparer.Ordinal) : new Dictionary<string, long>(StringComparer.Ordinal);
        if (_ledger.Configured && !_ledger.Shared)
        {
            foreach (var (team, unsent) in _ledger.UnsentMonthTotals(month))
            {
                used[team] = used.GetValueOrDefault(team) + unsent;
            }
        }

        var saved = !_ledger.Configured ? _ledger.OwnSavedMonthTotals(month)
            : snapshot.Month == month ? snapshot.Saved : new Dictionary<string, long>(StringComparer.Ordinal);
        return [.. used.Keys.Concat(saved.Keys).Concat(_budgets.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(team =>
        {
            var millicredits = used.GetValueOrDefault(team);
            var creditsSaved = saved.GetValueOrDefault(team) / 1000m;
            return _budgets.TryGetValue(team, out var budget)
                ? new TeamMonthCredits(team, millicredits / 1000m, budget.Limit / 1000m, Math.Round((double)millicredits / budget.Limit, 4), budget.WarnPercent, creditsSaved)
                : new TeamMonthCredits(team, millicredits / 1000m, null, null, null, creditsSaved);
        })];
    }

    /// <summary>00:00 UTC on the first of the next month, when every budget starts again.</summary>
    public static DateTimeOffset ResetAfter(DateTimeOffset now) => new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    private async ValueTask<long> UsedAsync(string team)
    {
        var now = _time.GetUtcNow();
        var month = CreditLedger.Month(now);
        if (!_ledger.Configured)
        {
            return _ledger.OwnMonth(team, month);
        }

        if (_snapshot.Month != month || now - _snapshot.ReadAt >= _options.BudgetRefresh)
        {
            var totals = await _ledger.ReadMonthTotalsAsync(month);
            if (totals is not null || _snapshot.Month != month)
            {
                _snapshot = Snapshot.Of(month, now, totals);
            }
        }

        // While Redis is away, what this replica booked meanwhile is added to the last figure it read.
        return _snapshot.Used.GetValueOrDefault(team) + (_ledger.Shared ? 0 : _ledger.UnsentMonth(team, month));
    }

    private void OnBooked(Booking booking)
    {
        var snapshot = _snapshot;
        var month = CreditLedger.Month(booking.At);
        if (snapshot.Month == month)
        {
            var used = snapshot.Used.AddOrUpdate(booking.Team, booking.Millicredits, (_, used) => used + booking.Millicredits);
            if (_budgets.ContainsKey(booking.Team))
            {
                Warn(booking.Team, used, month);
            }
        }
    }

    // Once per team and month on each replica: the first time it sees the warning line crossed.
    private void Warn(string team, long used, string month)
    {
        var (limit, warnPercent) = _budgets[team];
        if (warnPercent is { } percent && used * 100 >= limit * percent && _warned.TryAdd((team, month), 0))
        {
            _logger.BudgetWarning(team, used / 1000m, limit / 1000m, month, (int)(used * 100 / limit), percent);
        }
    }

    private IEnumerable<Measurement<double>> Ratios()
    {
        var snapshot = _snapshot;
        var current = snapshot.Month == CreditLedger.Month(_time.GetUtcNow());
        return _budgets.Select(b => new Measurement<double>(
            current ? (double)snapshot.Used.GetValueOrDefault(b.Key) / b.Value.Limit : 0, new KeyValuePair<string, object?>("team", b.Key)));
    }

    /// <param name="Saved">What reuse saved this month per team, for the operations page; never part of a budget.</param>
    private sealed record Snapshot(string Month, DateTimeOffset ReadAt, ConcurrentDictionary<string, long> Used, Dictionary<string, long> Saved)
    {
        public static Snapshot Empty(string month) => new(month, DateTimeOffset.MinValue, new(StringComparer.Ordinal), new(StringComparer.Ordinal));

        /// <param name="totals">As Redis answered them, or null while it is away (the snapshot is then empty and stale).</param>
        public static Snapshot Of(string month, DateTimeOffset now, (Dictionary<string, long> Spent, Dictionary<string, long> Saved)? totals) =>
            totals is { } read ? new(month, now, new(read.Spent, StringComparer.Ordinal), read.Saved) : Empty(month);
    }
}
