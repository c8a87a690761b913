using System.Diagnostics.Metrics;
using Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Gateway.Auth;

/// <summary>
/// Keeps operators ahead of expiring keys: a gauge of the seconds left per key (<c>gateway_key_expiry_seconds</c>,
/// negative once expired) for alerting, and one warning per key when it enters <c>Auth:ExpiryWarning</c> and one
/// when it expires, checked every minute on the gateway's clock.
/// </summary>
internal sealed class KeyExpiryReporter : BackgroundService
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMinutes(1);

    private readonly GatewayKeys _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _warning;
    private readonly ILogger<KeyExpiryReporter> _logger;
    private readonly HashSet<(string Team, string KeyId, DateTimeOffset NotAfter, bool Expired)> _told = [];

    public KeyExpiryReporter(GatewayKeys keys, TimeProvider time, IOptions<GatewayKeyOptions> options, IMeterFactory meters, ILogger<KeyExpiryReporter> logger)
    {
        _keys = keys;
        _time = time;
        _warning = options.Value.ExpiryWarning;
        _logger = logger;
        meters.Create(GatewayMetrics.MeterName).CreateObservableGauge("gateway.key.expiry", Measure, "s",
            "Seconds until a gateway key's NotAfter, negative once it has expired; keys without an expiry are not listed");
    }

    /// <summary>Logs what is due now; the loop calls it every minute, tests when they move the clock.</summary>
    public void Check()
    {
        // The loop and a test (or two ticks of a fast-moving clock) may check at once; what was told is shared state.
        lock (_told)
        {
            CheckLocked();
        }
    }

    private void CheckLocked()
    {
        var now = _time.GetUtcNow();
        foreach (var key in _keys.Table.Keys)
        {
            if (key.Disabled || key.NotAfter is not { } notAfter)
            {
                continue;
            }

            if (now >= notAfter)
            {
                if (_told.Add((key.Team, key.KeyId, notAfter, true)))
                {
                    _logger.KeyExpired(key.Team, key.KeyId, notAfter);
                }
            }
            else if (now >= notAfter - _warning && _told.Add((key.Team, key.KeyId, notAfter, false)))
            {
                _logger.KeyExpiresSoon(key.Team, key.KeyId, notAfter);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckEvery, _time);
        do
        {
            Check();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private IEnumerable<Measurement<double>> Measure()
    {
        var now = _time.GetUtcNow();
        return _keys.Table.Keys.Where(static key => key.NotAfter is not null && !key.Disabled).Select(key => new Measurement<double>(
            (key.NotAfter!.Value - now).TotalSeconds, new("team", key.Team), new("key_id", key.KeyId)));
    }
}
