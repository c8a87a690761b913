using System.Globalization;
using System.Text;
using Gateway.Ownership;

namespace Gateway.Tests.Ownership;

public sealed class TopLevelIdScannerTests
{
    // Bodies whose top-level job_id is "want-1", each with something in front that a careless scan would take.
    public static TheoryData<string> BodiesWithTheId() =>
    [
        """{"job_id":"want-1"}""",
        """  {  "job_id"  :  "want-1"  ,"x":1}""",
        """{"result":{"job_id":"nested"},"job_id":"want-1"}""",
        """{"a":[{"job_id":"in-array"},["job_id","x"]],"job_id":"want-1"}""",
        """{"s":"\"job_id\":\"fake\"","t":"\\","job_id":"want-1"}""",
        """{"s":"{[}]\\\"{","n":-1.5e3,"b":true,"z":null,"job_id":"want-1"}""",
        """{"job_idx":"no","xjob_id":"no","job":"no","job_id":"want-1"}""",
        """{"job\u005fid":"want-1"}""",
        """{"\u006a\u006F\u0062_id":"want\u002d1"}""",
        """{"job_id":"want-1","job_id":"a duplicate comes too late"}""",
        "\uFEFF{\"job_id\":\"want-1\"}",
        """{"e":{},"f":[],"g":[[[]]],"h":{"i":{"j":{}}},"job_id":"want-1","after":{"job_id":"later"}}""",
    ];

    [Theory]
    [MemberData(nameof(BodiesWithTheId))]
    public void FindsTheTopLevelId_WhereverTheBodyIsCutInTwo(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var scanner = new TopLevelIdScanner("job_id"u8);
            scanner.Feed(bytes.AsSpan(0, cut));
            scanner.Feed(bytes.AsSpan(cut));
            Assert.True("want-1" == scanner.Found, $"cut at {cut}: {scanner.Found ?? "(null)"}");
        }
    }

    [Theory]
    [MemberData(nameof(BodiesWithTheId))]
    public void FindsTheTopLevelId_WhereverTheBodyIsCutInThree_AndFedAByteAtATime(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var first = 0; first <= bytes.Length; first++)
        {
            for (var second = first; second <= bytes.Length; second++)
            {
                var scanner = new TopLevelIdScanner("job_id"u8);
                scanner.Feed(bytes.AsSpan(0, first));
                scanner.Feed(bytes.AsSpan(first, second - first));
                scanner.Feed(bytes.AsSpan(second));
                Assert.True("want-1" == scanner.Found, $"cuts at {first} and {second}");
            }
        }

        var byteAtATime = new TopLevelIdScanner("job_id"u8);
        foreach (var b in bytes)
        {
            byteAtATime.Feed([b]);
        }

        Assert.Equal("want-1", byteAtATime.Found);
    }

    [Theory]
    [InlineData("""{"result":{"job_id":"nested"}}""")]
    [InlineData("""{"a":["job_id","x"],"b":"job_id"}""")]
    [InlineData("""{"s":"\",\"job_id\":\"fake"}""")]
    [InlineData("""["job_id","x"]""")]
    [InlineData("""{"job_id":null,"x":"y"}""")]
    [InlineData("""{"job_id":12345}""")]
    [InlineData("""{"job_id":{"id":"x"}}""")]
    [InlineData("""{"job_id":""}""")]
    [InlineData("""{"job_id":"caf\u00e9"}""")]
    [InlineData("""{"job_id":"x\q"}""")]
    [InlineData("""<html>{"job_id":"x"}""")]
    [InlineData("")]
    [InlineData("""{"job_id":"never closed""")]
    public void FindsNothing_WhenThereIsNoTopLevelStringId(string body)
    {
        var scanner = new TopLevelIdScanner("job_id"u8);
        scanner.Feed(Encoding.UTF8.GetBytes(body));

        Assert.Null(scanner.Found);
    }

    [Fact]
    public void AValueLongerThanTheCap_IsNotAnId_AndOneAtTheCapIs()
    {
        var atCap = new string('a', TopLevelIdScanner.MaxValueBytes);
        var longer = atCap + "a";
        Assert.Equal(atCap, Scan($$"""{"job_id":"{{atCap}}"}"""));
        Assert.Null(Scan($$"""{"job_id":"{{longer}}"}"""));
        Assert.Null(Scan($$"""{"job_id":"{{atCap}}\u0061"}"""));
    }

    [Fact]
    public void OnceFound_LaterChunksChangeNothing_AndAreNotRead()
    {
        var scanner = new TopLevelIdScanner("file_id"u8);
        scanner.Feed("""{"file_id":"reducto://f-1","rest":"""u8);
        Assert.True(scanner.Finished);

        scanner.Feed("""garbage "file_id":"other" }}}"""u8);

        Assert.Equal("reducto://f-1", scanner.Found);
    }

    [Fact]
    public void AnIdThatComesLast_AfterMegabytesOfNestedContent_IsFound_InEveryChunkSize()
    {
        var body = LargeBody(targetBytes: 3_000_000);
        foreach (var chunkSize in new[] { 1, 7, 4096, 65_536, 1 << 20 })
        {
            var scanner = new TopLevelIdScanner("job_id"u8);
            for (var offset = 0; offset < body.Length; offset += chunkSize)
            {
                scanner.Feed(body.AsSpan(offset, Math.Min(chunkSize, body.Length - offset)));
            }

            Assert.Equal("last-id", scanner.Found);
        }
    }

    [Fact]
    public void AgreesWithSystemTextJson_OnRandomDocumentsCutAtRandomPoints()
    {
        var random = new Random(20261207);
        for (var round = 0; round < 2_000; round++)
        {
            var body = Encoding.UTF8.GetBytes(RandomDocument(random, out var expected));
            var scanner = new TopLevelIdScanner("job_id"u8);
            for (var offset = 0; offset < body.Length;)
            {
                var size = Math.Min(random.Next(1, 40), body.Length - offset);
                scanner.Feed(body.AsSpan(offset, size));
                offset += size;
            }

            Assert.True(expected == scanner.Found, $"round {round}: {scanner.Found ?? "(null)"} in {Encoding.UTF8.GetString(body)}");
        }
    }

    private static string? Scan(string body)
    {
        var scanner = new TopLevelIdScanner("job_id"u8);
        scanner.Feed(Encoding.UTF8.GetBytes(body));
        return scanner.Found;
    }

    // A parse result's shape: chunks with long text (escapes included), nested blocks and numbers, and a decoy id.
    private static byte[] LargeBody(int targetBytes)
    {
        var text = new StringBuilder("""{"status":"Completed","result":{"job_id":"decoy","chunks":[""");
        var index = 0;
        while (text.Length < targetBytes)
        {
            text.Append(index++ > 0 ? "," : "")
                .Append("""{"content":"Lorem ipsum dolor sit amet, \"quoted\" and a backslash \\ then {braces} and [brackets], job_id: 1. """)
                .Append('x', 400)
                .Append('"').Append(""","blocks":[{"type":"Text","bbox":{"left":0.1,"top":0.2,"width":0.3,"height":0.4,"page":3},"confidence":"high"}],"embed":""}""");
        }

        return Encoding.UTF8.GetBytes(text.Append("""]},"usage":{"num_pages":3},"job_id":"last-id"}""").ToString());
    }

    private static string RandomDocument(Random random, out string? expected)
    {
        expected = null;
        var text = new StringBuilder("{");
        var properties = random.Next(0, 5);
        for (var p = 0; p < properties; p++)
        {
            text.Append(p > 0 ? "," : "").Append(Whitespace(random));
            var isId = random.Next(4) == 0;
            // Other top-level keys start with "k" so none of them is job_id by chance.
            text.Append(isId ? (random.Next(2) == 0 ? "\"job_id\"" : "\"job\\u005fid\"") : "\"k" + RandomString(random)[1..])
                .Append(Whitespace(random)).Append(':').Append(Whitespace(random));
            if (isId && expected is null && random.Next(3) > 0)
            {
                var id = $"id-{random.Next(1000)}";
                expected = id;
                text.Append('"').Append(id.Replace("-", random.Next(2) == 0 ? "-" : "\\u002d", StringComparison.Ordinal)).Append('"');
                // Later duplicates never replace the first id found; the scan has stopped by then.
                isId = false;
            }
            else if (isId && expected is null)
            {
                // The first job_id is not a string: the scan gives up, so nothing after it counts.
                text.Append(RandomValue(random, 0, allowString: false));
                return text.Append('}').ToString();
            }
            else
            {
                text.Append(RandomValue(random, 0, allowString: true));
            }

            text.Append(Whitespace(random));
        }

        return text.Append('}').ToString();
    }

    private static string RandomValue(Random random, int depth, bool allowString)
    {
        switch (random.Next(depth > 3 ? 3 : 5))
        {
            case 0:
                return allowString ? RandomString(random) : "null";
            case 1:
                return random.Next(3) switch { 0 => "true", 1 => "-12.5e3", _ => "null" };
            case 2:
                return "{\"job_id\":" + (allowString ? RandomString(random) : "0") + "}";
            case 3:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(3)).Select(_ => RandomValue(random, depth + 1, true))) + "]";
            default:
                return "{" + string.Join(",", Enumerable.Range(0, random.Next(3))
                    .Select(_ => RandomString(random) + ":" + RandomValue(random, depth + 1, true))) + "}";
        }
    }

    private static string RandomString(Random random)
    {
        string[] pieces = ["a", "job_id", "\\\"", "\\\\", "{", "}", "[", "]", ",", ":", "\\u0022", "\\n", " ", "é"];
        return "\"" + string.Concat(Enumerable.Range(0, random.Next(6)).Select(_ => pieces[random.Next(pieces.Length)])) + "\"";
    }

    private static string Whitespace(Random random) => random.Next(3) == 0 ? " \n\t " : "";
}
