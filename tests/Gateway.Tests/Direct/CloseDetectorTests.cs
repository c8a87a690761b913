using System.Buffers;
using System.Text;
using Gateway.Direct;

namespace Gateway.Tests.Direct;

public sealed class CloseDetectorTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", true)]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nconnection: keep-alive, CLOSE\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nX-Connection: close\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5", false)]   // the head never ended: nothing to trust
    [InlineData("", false)]
    public void TheAnswersHead_SaysWhetherTheConnectionStaysOpen_HoweverItIsSplit(string answer, bool keepAlive)
    {
        var bytes = Encoding.ASCII.GetBytes(answer);
        var detector = new CloseDetector();
        detector.Read(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")));
        for (var split = 0; split <= bytes.Length; split++)
        {
            detector.Reset();
            detector.Read(new ReadOnlySequence<byte>(bytes, 0, split));
            detector.Read(new ReadOnlySequence<byte>(bytes, split, bytes.Length - split));
            Assert.Equal(keepAlive, detector.KeepAlive);
        }
    }
}
