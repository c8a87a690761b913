using System.Text;
using Gateway.Direct;

namespace Gateway.Tests.Direct;

/// <summary>
/// The direct path's reading of a request head. What it calls delimited must end exactly where Kestrel would end
/// it; everything it is unsure of must be opaque (Kestrel's to answer), never guessed at, and never left waiting.
/// </summary>
public sealed class RequestHeadTests
{
    private static readonly HeadLimits Limits = new(8 * 1024, 100, 8 * 1024);

    private const string Plain = "GET /job/abc-123 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k1\r\nAccept-Encoding: gzip, deflate\r\n\r\n";

    [Fact]
    public void APlainPoll_IsDelimited_AtTheEndOfItsHead_WithTheFieldsThatDecideAHit()
    {
        var bytes = Encoding.ASCII.GetBytes(Plain + "GET /next HTTP/1.1\r\n");

        Assert.Equal(HeadKind.Delimited, RequestHead.Parse(bytes, Limits, out var head));

        Assert.Equal(Plain.Length, head.Length);
        Assert.Equal("GET", Encoding.ASCII.GetString(head.Method));
        Assert.Equal("/job/abc-123", Encoding.ASCII.GetString(head.Target));
        Assert.Equal("Bearer k1", Encoding.ASCII.GetString(head.Authorization));
        Assert.Equal("gzip, deflate", Encoding.ASCII.GetString(head.AcceptEncoding));
        Assert.Equal(1, head.AuthorizationCount);
        Assert.False(head.Conditional);
    }

    [Fact]
    public void EveryPrefixOfAHead_IsIncomplete()
    {
        var bytes = Encoding.ASCII.GetBytes(Plain);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(HeadKind.Incomplete, RequestHead.Parse(bytes.AsSpan(0, length), Limits, out _));
        }
    }

    [Theory]
    [InlineData("If-None-Match: \"x\"")]
    [InlineData("Prefer: wait=10")]
    [InlineData("prefer: respond-async")]
    public void ConditionalOrWaitingReads_AreDelimitedButMarked(string field)
    {
        var bytes = Encoding.ASCII.GetBytes($"GET /job/a HTTP/1.1\r\nHost: gw\r\n{field}\r\n\r\n");

        Assert.Equal(HeadKind.Delimited, RequestHead.Parse(bytes, Limits, out var head));
        Assert.True(head.Conditional);
    }

    [Theory]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nhost: gw\r\nX-Empty:\r\n\r\n")]
    [InlineData("DELETE /job/a HTTP/1.1\r\nHost: gw\r\n\r\n")]
    public void BodylessRequests_AreDelimited(string text) =>
        Assert.Equal(HeadKind.Delimited, RequestHead.Parse(Encoding.ASCII.GetBytes(text), Limits, out _));

    [Theory]
    [InlineData("GET /job/a HTTP/1.1\nHost: gw\n\n")]                                         // bare LF
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\n\r\n")]                                     // one bare LF
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n  folded\r\n\r\n")]            // obs-fold
    [InlineData("GET /job/a HTTP/1.1\r\nHost : gw\r\n\r\n")]                                  // space before the colon
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nX-A: a\0b\r\n\r\n")]                      // NUL
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nX-A: caf\u00e9\r\n\r\n")]                 // not ASCII
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nX-A: a\rb\r\n\r\n")]                      // lone CR
    [InlineData("GET /job/a HTTP/1.1\r\n\r\n")]                                               // no Host
    [InlineData("GET /job/a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]                         // two
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello")]        // a body
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 00\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive, Upgrade\r\n\r\n")]
    [InlineData("GET /job/a HTTP/1.0\r\nHost: gw\r\n\r\n")]
    [InlineData("GET http://gw/job/a HTTP/1.1\r\nHost: gw\r\n\r\n")]                          // absolute-form
    [InlineData("get /job/a HTTP/1.1\r\nHost: gw\r\n\r\n")]
    [InlineData("GET  /job/a HTTP/1.1\r\nHost: gw\r\n\r\n")]
    [InlineData("\r\nGET /job/a HTTP/1.1\r\nHost: gw\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]                                         // the HTTP/2 preface
    public void AnythingNotStrictlyABodylessHttp11Head_IsOpaque(string text) =>
        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(Encoding.Latin1.GetBytes(text), Limits, out _));

    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 })]  // a TLS ClientHello's start
    [InlineData(new byte[] { (byte)'P', (byte)'R', (byte)'I', (byte)' ', (byte)'*' })]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ', (byte)'/', (byte)'x', (byte)' ', (byte)'H', (byte)'T', (byte)'X' })]
    public void BytesThatCannotStartAnHttp11RequestLine_AreOpaqueBeforeAnyLineEnds(byte[] start) =>
        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(start, Limits, out _));

    [Fact]
    public void HeadsPastKestrelsLimits_AreOpaque_SoKestrelAnswersThem()
    {
        var manyFields = "GET /job/a HTTP/1.1\r\nHost: gw\r\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"X-{i}: v\r\n")) + "\r\n";
        var longHead = "GET /job/a HTTP/1.1\r\nHost: gw\r\nX-Long: " + new string('v', 9000) + "\r\n\r\n";
        var unfinished = "GET /job/a HTTP/1.1\r\nX-Long: " + new string('v', 9000);
        var longLine = "GET /job/" + new string('a', 300) + " HTTP/1.1\r\nHost: gw\r\n\r\n";

        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(Encoding.ASCII.GetBytes(manyFields), Limits, out _));
        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(Encoding.ASCII.GetBytes(longHead), Limits, out _));
        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(Encoding.ASCII.GetBytes(unfinished), Limits, out _));
        Assert.Equal(HeadKind.Opaque, RequestHead.Parse(Encoding.ASCII.GetBytes(longLine), Limits with { MaxRequestLine = 256 }, out _));
        Assert.Equal(HeadKind.Delimited, RequestHead.Parse(Encoding.ASCII.GetBytes(longLine), Limits, out _));
    }
}
