using System.Text;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Jobs;
using Gateway.Ownership;

namespace Gateway.Tests.Cluster;

/// <summary>What travels between replicas and through Redis keeps the running answer's bytes, its time and its owner.</summary>
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

    public static TheoryData<string?, bool> Owners => new() { { "team-a", true }, { null, true }, { null, false } };

    [Theory]
    [MemberData(nameof(Owners))]
    public void TheOwner_TravelsWithTheNotice_AndThroughRedis_TeamUnownedOrUnknown(string? team, bool known)
    {
        OwnedBy? owner = known ? new OwnedBy(team) : null;
        var sent = new JobNotice(JobNoticeKind.Response, "job-1", StatusCode: 200, ContentType: "application/json", Body: Body, AnsweredAt: AnsweredAt, Owner: owner);

        var answer = JobNotice.Deserialize(sent.Serialize(Guid.NewGuid()))!.Value.Notice.RunningAnswer()!;
        var stored = RunningAnswer.Deserialize(answer.Serialize())!;

        foreach (var read in new[] { answer, stored })
        {
            Assert.Equal(owner, read.Owner);
            Assert.Equal(Body, read.Body.ToArray());
            Assert.Equal(AnsweredAt, read.AnsweredAt);
        }
    }

    [Fact]
    public void AVersionTwoNotice_AndTheOlderRedisForm_AreStillRead_WithNoOwnerKnown()
    {
        // As a replica not yet upgraded writes them: notice version 2 (answered-at, no owner) and the 'R' form.
        var version3 = new JobNotice(JobNoticeKind.Response, "job-1", StatusCode: 200, ContentType: "application/json", Body: Body, AnsweredAt: AnsweredAt)
            .Serialize(Guid.NewGuid());
        var contentTypeEnd = version3.Length - Body.Length - 1;
        byte[] version2 = [2, .. version3.AsSpan(1, contentTypeEnd - 1), .. Body];
        var older = new List<byte> { (byte)'R' };
        older.AddRange(version3.AsSpan(27, 8).ToArray());
        older.AddRange([0, 16, .. "application/json"u8.ToArray(), .. Body]);

        var fromNotice = JobNotice.Deserialize(version2)!.Value.Notice.RunningAnswer()!;
        var fromRedis = RunningAnswer.Deserialize(older.ToArray())!;

        foreach (var read in new[] { fromNotice, fromRedis })
        {
            Assert.Null(read.Owner);
            Assert.Equal(Body, read.Body.ToArray());
            Assert.Equal(AnsweredAt, read.AnsweredAt);
        }
    }
}
