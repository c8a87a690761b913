using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Direct;

/// <summary>
/// Kestrel's request-headers and keep-alive timeouts hold on the direct path as on the Kestrel path, whatever the
/// connection did before (nothing, a direct hit, a forwarded request): a head that stalls or trickles gets the same
/// bytes (a 408, Date aside) and is cut at the same time, an idle connection is closed at the same time. Each case
/// runs on both gateways at once, so both clocks start together; Kestrel checks its timers on a heartbeat once a
/// second and the two gateways have a heartbeat each, so "the same time" is within one interval plus scheduling.
/// </summary>
public sealed partial class DirectHitTimeoutTests(DirectHitTimeoutTests.ShortTimeoutGateways fixture) : IClassFixture<DirectHitTimeoutTests.ShortTimeoutGateways>
{
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(3);

    // One heartbeat interval between two servers' heartbeats, and a little for a loaded machine.
    private static readonly TimeSpan SameTime = TimeSpan.FromSeconds(1.25);

    // Kestrel's latest cut is the timeout plus two heartbeat intervals; nothing here may take much longer.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    public static TheoryData<string, string> StalledHeads => new()
    {
        { "fresh", "GET /jo" },
        { "fresh", "GET /job/x HTTP/1.1\r\nHost: gateway\r\n" },
        { "after a hit", "GET /jo" },
        { "after a hit", "GET /job/x HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " },
        { "after a forwarded request", "GET /jo" },
        { "after a forwarded request", "GET /job/x HTTP/1.1\r\nHost: gateway\r\n" },
    };

    public static TheoryData<string> Befores => ["fresh", "after a hit", "after a forwarded request"];

    [Theory]
    [MemberData(nameof(StalledHeads))]
    public async Task StalledHead_Gets408AndIsClosed_WhenKestrelDoesIt(string before, string stall)
    {
        var (direct, reference) = await OnBothAsync(before, connection => connection.SendAsync(stall));

        AssertSameCut(reference, direct, HeadersTimeout);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", direct.Bytes, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Befores))]
    public async Task HeadTrickledOneBytePer100ms_IsCut_WhenKestrelCutsIt(string before)
    {
        var head = Encoding.ASCII.GetBytes("GET /job/x HTTP/1.1\r\nHost: gateway\r\nX-Slow: " + new string('a', 400));
        var (direct, reference) = await OnBothAsync(before, async (connection, closed) =>
        {
            foreach (var b in head)
            {
                if (closed.IsCompleted)
                {
                    return;
                }

                try
                {
                    await connection.SendAsync([b]);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // The server closed between the check and the write; the reader has what it sent.
                    await closed;
                    return;
                }

                // The pacing is the behaviour under test (a head trickled against Kestrel's real-time heartbeat, which no
                // fake clock drives); the wait ends early the moment the server closes.
                await Task.WhenAny(closed, Task.Delay(100, TestContext.Current.CancellationToken));
            }

            Assert.Fail("the head was sent whole before the server cut it");
        });

        AssertSameCut(reference, direct, HeadersTimeout);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", direct.Bytes, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Befores))]
    public async Task IdleConnection_IsClosedQuietly_WhenKestrelClosesIt(string before)
    {
        var (direct, reference) = await OnBothAsync(before, static _ => Task.CompletedTask);

        AssertSameCut(reference, direct, KeepAlive);
        Assert.Empty(direct.Bytes);
    }

    [Fact]
    public async Task HundredsOfStalledConnections_AreAllAnswered408AndClosed_OnTime()
    {
        const int Count = 300;
        var stalls = new List<Task<Cut>>();
        foreach (var gateway in fixture.Both)
        {
            for (var i = 0; i < Count; i++)
            {
                stalls.Add(CutAsync(gateway, "fresh", static (connection, _) => connection.SendAsync("GET /jo")));
            }
        }

        var cuts = await Task.WhenAll(stalls);
        var direct = cuts[..Count];
        var reference = cuts[Count..];

        Assert.All(cuts, cut => Assert.Equal(reference[0].Bytes, cut.Bytes));
        Assert.All(direct, cut => Assert.InRange(cut.After, HeadersTimeout - TimeSpan.FromMilliseconds(100), reference.Max(r => r.After) + SameTime));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"direct cuts {direct.Min(c => c.After)}..{direct.Max(c => c.After)}, Kestrel's {reference.Min(c => c.After)}..{reference.Max(c => c.After)}");
    }

    private static void AssertSameCut(Cut reference, Cut direct, TimeSpan timeout)
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"cut after {direct.After} directly, {reference.After} through Kestrel");
        Assert.Equal(reference.Bytes, direct.Bytes);
        Assert.True(reference.After >= timeout - TimeSpan.FromMilliseconds(100), $"Kestrel cut after {reference.After}, before its timeout {timeout}");
        Assert.True((direct.After - reference.After).Duration() <= SameTime, $"cut after {direct.After} directly but after {reference.After} through Kestrel");
    }

    private Task<(Cut Direct, Cut Reference)> OnBothAsync(string before, Func<WireConnection, Task> stall) =>
        OnBothAsync(before, (connection, _) => stall(connection));

    private async Task<(Cut Direct, Cut Reference)> OnBothAsync(string before, Func<WireConnection, Task, Task> stall)
    {
        var direct = CutAsync(fixture.Direct, before, stall);
        var reference = CutAsync(fixture.Reference, before, stall);
        return (await direct, await reference);
    }

    /// <summary>
    /// Opens a connection, makes it <paramref name="before"/>, then runs <paramref name="stall"/> (given a task that
    /// ends when the server closes) and reads what the server sends until it closes, timed from the stall's start.
    /// </summary>
    private async Task<Cut> CutAsync(GatewayHost gateway, string before, Func<WireConnection, Task, Task> stall)
    {
        await using var connection = await gateway.ConnectAsync();
        if (before != "fresh")
        {
            var id = "done-2k-" + Guid.NewGuid().ToString("N");
            if (before == "after a hit")
            {
                await fixture.WarmAsync(id);
            }

            await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, before == "after a hit" ? GatewayFactory.TeamAKey : null));
            var answer = await connection.ReadResponseAsync();
            Assert.Equal(before == "after a hit" ? "Gateway; hit" : null, answer.Header("Cache-Status"));
        }

        var clock = Stopwatch.StartNew();
        var closed = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                return await connection.ReadUntilClosedAsync(Within);
            }
            finally
            {
                closed.SetResult();
            }
        });
        await stall(connection, closed.Task);
        var bytes = await reading;
        return new Cut(DateValue().Replace(Encoding.Latin1.GetString(bytes), "Date: <an HTTP date>\r\n"), clock.Elapsed);
    }

    [GeneratedRegex(@"Date: [A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT\r\n")]
    private static partial Regex DateValue();

    /// <summary>What the server sent after the stall began, its Date masked, and when it closed.</summary>
    public sealed record Cut(string Bytes, TimeSpan After);

    public sealed class ShortTimeoutGateways : DirectHitGateways
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(DirectTeams.Settings)
        {
            ["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:02",
            ["Kestrel:Limits:KeepAliveTimeout"] = "00:00:03",
        };
    }
}
