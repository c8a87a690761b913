using Gateway.Auth;
using Gateway.Teams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace Gateway.Tests.Auth;

/// <summary>
/// The one step both paths take for a team's request: key as of now, scope, then the ceiling's token, and a refusal
/// for the key or the scope spends no token. The pipeline's and the direct path's answers are compared cell by cell
/// in <c>DirectHitMatrixTests</c>; this pins the step's own order.
/// </summary>
public sealed class FrontDoorTests
{
    private const string ReaderKey = "front-door-reader-key-0001";
    private const string ExpiringKey = "front-door-expiring-key-01";
    private const string AdminKey = "front-door-admin-key-00001";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RefusedForScopeOrKey_SpendsNoToken_ThenTheCeilingRefusesWithARetryHint()
    {
        using var door = Door(out var ceilings, allowAnonymous: false);
        var reader = door.Keys.FindBearer("Bearer " + ReaderKey);
        for (var i = 0; i < 20; i++)
        {
            var refused = door.Door.Admit(reader, Scope.JobsRun);
            Assert.Equal(AdmissionOutcome.ScopeRefused, refused.Outcome);
            Assert.Equal(KeyRefusal.InsufficientScope, refused.Refusal);
            Assert.Equal(AdmissionOutcome.KeyRefused, door.Door.Admit(door.Keys.FindBearer("Bearer not-a-key-" + i), Scope.JobsRead).Outcome);
        }

        Assert.Equal(3, ceilings.ByTeam.GetStatistics("reader")!.CurrentAvailablePermits);

        var admitted = 0;
        Admission last;
        while ((last = door.Door.Admit(reader, Scope.JobsRead)).Admitted)
        {
            admitted++;
        }

        // Three tokens, and at most a second's refill if the run was slow.
        Assert.InRange(admitted, 3, 6);
        Assert.Equal(AdmissionOutcome.CeilingReached, last.Outcome);
        Assert.Equal("reader", last.Team!.Team);
        Assert.True(last.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void AnExpiredKey_IsRefusedAsExpired_OnTheClockOfTheRequest()
    {
        using var door = Door(out _, allowAnonymous: false);
        var expiring = door.Keys.FindBearer("Bearer " + ExpiringKey);
        Assert.True(door.Door.Admit(expiring, Scope.JobsRead).Admitted);

        door.Time.Advance(TimeSpan.FromMinutes(1));
        var refused = door.Door.Admit(expiring, Scope.JobsRead);
        Assert.Equal(AdmissionOutcome.KeyRefused, refused.Outcome);
        Assert.Equal(KeyRefusal.Expired, refused.Refusal);
    }

    [Fact]
    public void TheAdminKey_IsNotATeam_AndWithoutKeysEveryCallerIsTheAnonymousTeam()
    {
        using (var door = Door(out _, allowAnonymous: false))
        {
            Assert.Equal(AdmissionOutcome.NotATeam, door.Door.Admit(door.Keys.FindBearer("Bearer " + AdminKey), Scope.None).Outcome);
            Assert.Equal(KeyRefusal.Missing, door.Door.Admit(door.Keys.FindBearer(null), Scope.None).Refusal);
        }

        using var anonymous = Door(out _, allowAnonymous: true);
        var admitted = anonymous.Door.Admit(anonymous.Keys.FindBearer(null), Scope.All);
        Assert.True(admitted.Admitted);
        Assert.Same(TeamExtensions.AnonymousTeam, admitted.Team);
    }

    private static TestDoor Door(out TeamRequestLimiter ceilings, bool allowAnonymous)
    {
        var teams = new TeamOptions
        {
            Teams = new(StringComparer.Ordinal)
            {
                ["reader"] = new()
                {
                    RequestsPerSecond = 3,
                    Scopes = ["jobs:read"],
                    Keys = new(StringComparer.Ordinal)
                    {
                        ["k1"] = new() { Key = ReaderKey },
                        ["k2"] = new() { Key = ExpiringKey, NotAfter = Now.AddSeconds(30) },
                    },
                },
            },
        };
        var auth = new GatewayKeyOptions { AdminKey = AdminKey, AllowAnonymous = allowAnonymous };
        var keys = new GatewayKeys(Options.Create(auth), Options.Create(teams), new ConfigurationBuilder().Build(), NullLogger<GatewayKeys>.Instance);
        ceilings = new TeamRequestLimiter(Options.Create(teams));
        var time = new FakeTimeProvider(Now);
        return new TestDoor(new FrontDoor(keys, ceilings, time), keys, ceilings, time);
    }

    private sealed record TestDoor(FrontDoor Door, GatewayKeys Keys, TeamRequestLimiter Ceilings, FakeTimeProvider Time) : IDisposable
    {
        public void Dispose()
        {
            Keys.Dispose();
            Ceilings.Dispose();
        }
    }
}
