using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Direct;

/// <summary>
/// Bytes that are not HTTP/1.1 get Kestrel's answer on the direct path whatever came before them on the connection:
/// Kestrel answers an HTTP/2 preface with a GOAWAY as a connection's first request and with a 505 after that.
/// </summary>
public sealed partial class DirectHitPrefaceTests(DirectHitGateways fixture) : IClassFixture<DirectHitGateways>
{
    private const string Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    public static TheoryData<string, string> Cases => new()
    {
        { "fresh", Preface },
        { "after a hit", Preface },
        { "after a forwarded request", Preface },
        { "after a hit", "PRI * HTTP/2.0\r\n" },
        { "after a hit", "PRI * HTTP/1.1\r\nHost: gateway\r\n\r\n" },
        { "after a forwarded request", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BytesThatAreNotHttp11_GetKestrelsAnswer_WhateverCameBefore(string before, string bytes)
    {
        var answers = new List<string>();
        foreach (var gateway in fixture.Both)
        {
            await using var connection = await gateway.ConnectAsync();
            if (before != "fresh")
            {
                var id = "done-2k-" + Guid.NewGuid().ToString("N");
                var hit = before == "after a hit";
                if (hit)
                {
                    await fixture.WarmAsync(id);
                }

                await connection.SendAsync(WireConnection.Request("GET", "/job/" + id, hit ? GatewayFactory.TeamAKey : null));
                Assert.Equal(hit ? 200 : 401, (await connection.ReadResponseAsync()).Status);
            }

            await connection.SendAsync(Encoding.Latin1.GetBytes(bytes));
            var answer = Encoding.Latin1.GetString(await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(30)));
            answers.Add(DateValue().Replace(answer, "Date: <an HTTP date>\r\n"));
        }

        Assert.Equal(answers[1], answers[0]);
        Assert.NotEmpty(answers[0]);
        if (bytes == Preface)
        {
            Assert.Equal(before == "fresh", answers[0].StartsWith('\0'));
        }
    }

    [GeneratedRegex(@"Date: [A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT\r\n")]
    private static partial Regex DateValue();
}
