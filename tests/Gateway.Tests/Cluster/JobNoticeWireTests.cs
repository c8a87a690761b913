using System.Text;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Jobs;

namespace Gateway.Tests.Cluster;

/// <summary>What travels between replicas and through Redis keeps the running answer's bytes and its time.</summary>
public sealed class JobNoticeWireTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"job_id":"j","status":"Pending","progress":7}""");
    private static readonly DateTimeOffset AnsweredAt = DateTimeOffset.FromUnixTimeMilliseconds(1_764_700_000_123);

    [Fact]
    public void ARunningResponseNotice_CarriesItsBytesAndWhenTheUpstreamAnswered()
    {
        var origin = Guid.NewGuid();
        var sent = new JobNotice(JobNoticeKind.Response, "job-1", StatusCode: 200, ContentType: "application/json", Body: Body, AnsweredAt: AnsweredAt);

        var (received, from) = JobNotice.Deserialize(sent.Serialize(origin))!.Value;
        var answer = received.RunningAnswer();

        Assert.Equal(origin, from);
        Assert.NotNull(answer);
        Assert.Equal(AnsweredAt, answer.AnsweredAt);
        Assert.Equal(Body, answer.Body.ToArray());
        Assert.Equal("application/json", answer.ContentType);
    }

    [Fact]
    public void AVersionOneNotice_IsStillRead_ButOffersNothingToShare()
    {
        // Version 1 as a replica not yet upgraded sends it: no answered-at field.
        var id = Encoding.UTF8.GetBytes("job-1");
        var contentType = Encoding.UTF8.GetBytes("application/json");
        var bytes = new List<byte> { 1, (byte)JobNoticeKind.Response };
        bytes.AddRange(Guid.NewGuid().ToByteArray());
        bytes.Add(0);
        bytes.AddRange([0, 0, 0, 200, 0xFF, 0xFF, 0xFF, 0xFF, 0, (byte)id.Length]);
        bytes.AddRange(id);
        bytes.AddRange([0, (byte)contentType.Length]);
        bytes.AddRange(contentType);
        bytes.AddRange(Body);

        var (received, _) = JobNotice.Deserialize(bytes.ToArray())!.Value;

        Assert.Equal("job-1", received.JobId);
        Assert.Equal(200, received.StatusCode);
        Assert.Equal(Body, received.Body.ToArray());
        Assert.Null(received.RunningAnswer());
    }

    [Fact]
    public void ATerminalResponseNotice_IsNoRunningAnswer()
    {
        var terminal = new JobNotice(JobNoticeKind.Response, "job-1", StatusCode: 200, Body: """{"status":"Completed"}"""u8.ToArray(), AnsweredAt: AnsweredAt);

        Assert.True(terminal.IsTerminalAnswer);
        Assert.Null(terminal.RunningAnswer());
    }

    [Fact]
    public void TheRedisForm_RoundTrips_AndATerminalMarkIsNoAnswer()
    {
        var answer = new RunningAnswer("application/json", Body, AnsweredAt);

        var read = RunningAnswer.Deserialize(answer.Serialize());

        Assert.NotNull(read);
        Assert.Equal(AnsweredAt, read.AnsweredAt);
        Assert.Equal(Body, read.Body.ToArray());
        Assert.Null(RunningAnswer.Deserialize(RunningAnswer.Terminal));
    }
}
