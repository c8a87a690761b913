using System.Text;
using Gateway.Ownership;

namespace Gateway.Tests.Ownership;

public sealed class CreationReferencesTests
{
    [Theory]
    [InlineData("""{"input":"reducto://ABC-1.pdf"}""", "File", "abc-1", "input")]
    [InlineData("""{"input":"jobid://Job-7"}""", "Job", "job-7", "input")]
    [InlineData("""{"input":"  \tREDUCTO://abc"}""", "File", "abc", "input")]
    [InlineData("""{"input":" JobID:// j-1 "}""", "Job", "j-1", "input")]
    [InlineData("""{"input":{"file_id":"abc.pdf"}}""", "File", "abc", "input.file_id")]
    [InlineData("""{"input":{"file_id":"reducto://abc"}}""", "File", "abc", "input.file_id")]
    [InlineData("""{"steps":[{"document":"reducto://d"}]}""", "File", "d", "steps[0].document")]
    [InlineData("""{"a":{"b":[1,[true,null,"jobid://x"]]}}""", "Job", "x", "a.b[1][2]")]
    [InlineData("""{"input":"reducto:\/\/esc"}""", "File", "esc", "input")]
    [InlineData("""{"input":"\u0072educto://esc"}""", "File", "esc", "input")]
    [InlineData("""{"input":"\u006aobid://J"}""", "Job", "j", "input")]
    [InlineData("""{"in\u0070ut":{"file\u005fid":"f"}}""", "File", "f", "input.file_id")]
    [InlineData("""{"metadata":{"note":"reducto://hidden"}}""", "File", "hidden", "metadata.note")]
    [InlineData("\"reducto://whole\"", "File", "whole", "$")]
    [InlineData("""["x","jobid://second"]""", "Job", "second", "[1]")]
    public void FindsTheOneReference_WithItsKindIdAndPath(string body, string kind, string id, string path)
    {
        var scan = CreationReferences.Find(Encoding.UTF8.GetBytes(body));

        Assert.True(scan.IsJson);
        Assert.Equal([new DocumentReference(Enum.Parse<ReferenceKind>(kind), id, path)], scan.References);
    }

    [Fact]
    public void ListInput_ReportsEveryElement_InOrder()
    {
        var body = """{"input":["https://example.com/a.pdf","reducto://A.pdf",{"file_id":"B"},"jobid://C"],"settings":{"page_range":"1-2"}}"""u8;

        var scan = CreationReferences.Find(body);

        Assert.Equal(
            [new(ReferenceKind.File, "a", "input[1]"), new(ReferenceKind.File, "b", "input[2].file_id"), new(ReferenceKind.Job, "c", "input[3]")],
            scan.References);
    }

    [Fact]
    public void DuplicateKeys_AreAllReported()
    {
        var scan = CreationReferences.Find("""{"input":"reducto://first","input":"reducto://second"}"""u8);

        Assert.Equal(["first", "second"], scan.References.Select(static r => r.Id));
    }

    [Fact]
    public void FileIdThatIsNotAString_AndPropertyNamesThatLookLikeReferences_AreNotReferences()
    {
        var scan = CreationReferences.Find("""{"file_id":{"x":1},"reducto://name":2,"other":["file_id"],"n":"https://reducto.ai"}"""u8);

        Assert.True(scan.IsJson);
        Assert.Empty(scan.References);
    }

    [Fact]
    public void FileIdHoldingAJobScheme_IsAJob()
    {
        var scan = CreationReferences.Find("""{"input":{"file_id":"jobid://J1"}}"""u8);

        Assert.Equal([new DocumentReference(ReferenceKind.Job, "j1", "input.file_id")], scan.References);
    }

    [Fact]
    public void ALongEscapedValue_IsDecodedFromAPooledBuffer()
    {
        var body = $$"""{"input":"reducto:\/\/{{new string('a', 5000)}}\u002epdf"}""";

        var scan = CreationReferences.Find(Encoding.UTF8.GetBytes(body));

        Assert.Equal(new string('a', 5000), Assert.Single(scan.References).Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("""{"input":"reducto://a"}{"input":"reducto://b"}""")]
    [InlineData("""{"input":"reducto://a"} x""")]
    [InlineData("""{"input":'reducto://a'}""")]
    [InlineData("""{"input":"reducto://a", /* c */ "x":1}""")]
    [InlineData("""{"input":"reducto://a",}""")]
    [InlineData("reducto://a")]
    public void ABodyThatIsNotOneJsonDocument_IsNotJson(string body)
    {
        Assert.False(CreationReferences.Find(Encoding.UTF8.GetBytes(body)).IsJson);
    }

    [Fact]
    public void InvalidUtf8InsideAString_IsNotJson()
    {
        Assert.False(CreationReferences.Find([.. "{\"input\":\"reducto://"u8, 0xC3, 0x28, .. "\"}"u8]).IsJson);
    }

    [Fact]
    public void NestingBeyondSixtyFour_IsNotJson_AndAtSixtyFourIsRead()
    {
        static byte[] Nested(int depth) =>
            Encoding.UTF8.GetBytes(new string('[', depth - 1) + "[\"jobid://deep\"]" + new string(']', depth - 1));

        Assert.False(CreationReferences.Find(Nested(65)).IsJson);
        Assert.Equal("deep", Assert.Single(CreationReferences.Find(Nested(64)).References).Id);
    }

    [Theory]
    [InlineData("reducto://ABC.pdf", "abc")]
    [InlineData("reducto://abc", "abc")]
    [InlineData(" ABC.tar.gz ", "abc")]
    [InlineData("Reducto://x", "x")]
    [InlineData("abc", "abc")]
    public void NormaliseFileId_DropsSchemeAndExtension_AndLowerCases(string raw, string expected)
    {
        Assert.Equal(expected, OwnedIds.File(raw));
    }

    [Theory]
    [InlineData("jobid://ABC-1", "abc-1")]
    [InlineData("  JOBID://  abc-1 \n", "abc-1")]
    [InlineData("abc-1", "abc-1")]
    [InlineData("jobid://a.b", "a.b")]
    public void NormaliseJobId_DropsSchemeTrimsAndLowerCases(string raw, string expected)
    {
        Assert.Equal(expected, OwnedIds.Job(raw));
    }
}
