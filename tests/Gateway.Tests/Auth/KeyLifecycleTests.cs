using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Gateway.Auth;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Auth;

/// <summary>Several keys per team, each with a public id, an optional expiry and an optional revocation.</summary>
public sealed class KeyLifecycleTests : GatewayTest
{
    private const string CurrentKey = "team-c-current-key-00001";
    private const string NextKey = "team-c-next-key-000000002";
    private const string RevokedKey = "team-c-revoked-key-000003";
    // The real time: the stand-in dates its jobs now, and the cache keeps nothing a fake clock says is 12 h old.
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private readonly FakeTimeProvider _time = new(Start);

    protected override TimeProvider Time => _time;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // The current key expires in 10 days (inside the 7-day warning after 3 days); the next one never does.
        ["Teams:team-c:Keys:2026-11:Key"] = CurrentKey,
        ["Teams:team-c:Keys:2026-11:NotAfter"] = (Start + TimeSpan.FromDays(10)).ToString("O"),
        ["Teams:team-c:Keys:2026-12:Key"] = NextKey,
        ["Teams:team-c:Keys:leaked:Key"] = RevokedKey,
        ["Teams:team-c:Keys:leaked:Disabled"] = "true",
    };

    [Fact]
    public async Task BothKeysOfATeam_Work_DuringARotation()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(CurrentKey));
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(NextKey));
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(GatewayFactory.TeamAKey));
    }

    [Fact]
    public async Task ExpiredKey_Gets401InvalidToken_SayingExpired_WhileTheTeamsOtherKeyWorks()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(CurrentKey));
        _time.Advance(TimeSpan.FromDays(10));
        var job = NewId("done-");

        using var response = await SendWithAsync(CurrentKey, job);

        await AssertRefusedAsync(response, "gateway-key-expired", "The key has expired");
        Assert.Equal(0, Upstream.Requests.CountForJob(job));
        Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(NextKey));
    }

    [Fact]
    public async Task DisabledKey_Gets401InvalidToken_SayingRevoked_AndNothingReachesTheUpstream()
    {
        var job = NewId("done-");
        using var response = await SendWithAsync(RevokedKey, job);

        await AssertRefusedAsync(response, "gateway-key-revoked", "The key has been revoked");
        Assert.Equal(0, Upstream.Requests.CountForJob(job));
    }

    [Fact]
    public async Task ExpiringKey_IsWarnedOnce_InsideTheWarningWindow_AndAgainWhenItExpires()
    {
        var reporter = Gateway.Services.GetRequiredService<KeyExpiryReporter>();
        reporter.Check();
        Assert.DoesNotContain(Gateway.Logs.GetSnapshot(), IsExpiryLog);

        _time.Advance(TimeSpan.FromDays(4));
        reporter.Check();
        reporter.Check();
        var soon = Assert.Single(Gateway.Logs.GetSnapshot(), IsExpiryLog);
        Assert.Equal(AuthLog.KeyExpiresSoonId, soon.Id.Id);
        Assert.Contains("2026-11", soon.Message, StringComparison.Ordinal);
        Assert.Contains("team-c", soon.Message, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromDays(6));
        reporter.Check();
        Assert.Equal([AuthLog.KeyExpiresSoonId, AuthLog.KeyExpiredId], Gateway.Logs.GetSnapshot().Where(IsExpiryLog).Select(static r => r.Id.Id));
    }

    [Fact]
    public void ExpiryGauge_GivesSecondsLeft_PerTeamAndKeyId_OnlyForKeysThatExpire()
    {
        var meters = Gateway.Services.GetRequiredService<IMeterFactory>();
        using var expiry = new MetricCollector<double>(meters, global::Gateway.Telemetry.GatewayMetrics.MeterName, "gateway.key.expiry");
        _time.Advance(TimeSpan.FromDays(1));

        expiry.RecordObservableInstruments();

        var measurement = Assert.Single(expiry.GetMeasurementSnapshot());
        Assert.Equal(TimeSpan.FromDays(9).TotalSeconds, measurement.Value, precision: 3);
        Assert.Equal("team-c", measurement.Tags["team"]);
        Assert.Equal("2026-11", measurement.Tags["key_id"]);
    }

    [Fact]
    public async Task NoLogOrAnswer_EverContainsAKey()
    {
        _time.Advance(TimeSpan.FromDays(10));
        var answers = new List<string>();
        foreach (var key in new[] { CurrentKey, NextKey, RevokedKey, "unknown-key-0000000000001" })
        {
            using var response = await SendWithAsync(key);
            answers.Add(response.Headers + (await response.Content.ReadAsStringAsync(Cancel)));
        }

        Gateway.Services.GetRequiredService<KeyExpiryReporter>().Check();
        var logs = string.Join('\n', Gateway.Logs.GetSnapshot().Select(static r => r.Message + " " + string.Join(',', r.Scopes)));
        foreach (var secret in new[] { CurrentKey, NextKey, RevokedKey, GatewayFactory.TeamAKey, GatewayFactory.ServerKey })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.All(answers, answer => Assert.DoesNotContain(secret, answer, StringComparison.Ordinal));
        }
    }

    private static bool IsExpiryLog(Microsoft.Extensions.Logging.Testing.FakeLogRecord record) =>
        record.Id.Id is AuthLog.KeyExpiresSoonId or AuthLog.KeyExpiredId;

    private async Task<HttpResponseMessage> SendWithAsync(string key, string job = "done-2k")
    {
        using var client = Gateway.CreateClient(key);
        return await client.GetAsync("/job/" + job, Cancel);
    }

    private async Task<HttpStatusCode> StatusWithAsync(string key)
    {
        using var response = await SendWithAsync(key);
        return response.StatusCode;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string problem, string description)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Bearer error=\"invalid_token\", error_description=\"{description}\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("false", Assert.Single(response.Headers.GetValues("x-should-retry")));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("urn:gateway:problem:" + problem, body.RootElement.GetProperty("type").GetString());
    }
}
