using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Direct;

/// <summary>What "the same answer" means between the direct path and the Kestrel path.</summary>
public static class Parity
{
    /// <summary>
    /// Same status line, same header names and values (Date's value, the order and the case of names aside), same body bytes;
    /// a problem's <c>traceId</c> names the request on its own server, so it is left out of the comparison.
    /// </summary>
    public static void AssertSameAnswer(WireResponse reference, WireResponse direct, string because = "")
    {
        var context = because.Length == 0 ? string.Empty : because + ": ";
        Assert.True(reference.ComparableHead.SequenceEqual(direct.ComparableHead),
            $"{context}the heads differ.\nKestrel path:\n  {string.Join("\n  ", reference.ComparableHead)}\nDirect path:\n  {string.Join("\n  ", direct.ComparableHead)}");
        if (direct.Header("Content-Type") is { } type && type.StartsWith("application/problem+json", StringComparison.Ordinal))
        {
            Assert.Equal(WithoutTraceId(reference.Body), WithoutTraceId(direct.Body));
            return;
        }

        Assert.True(reference.Body.AsSpan().SequenceEqual(direct.Body),
            $"{context}the bodies differ: {reference.Body.Length} bytes through Kestrel, {direct.Body.Length} directly");
    }

    public static byte[] Gunzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress))
        {
            gzip.CopyTo(output);
        }

        return output.ToArray();
    }

    public static string ProblemType(WireResponse response)
    {
        using var problem = JsonDocument.Parse(response.Body);
        return problem.RootElement.GetProperty("type").GetString()!;
    }

    // A problem's head answered to HEAD carries no body.
    private static string WithoutTraceId(byte[] body)
    {
        if (body.Length == 0)
        {
            return string.Empty;
        }

        var problem = JsonNode.Parse(body)!.AsObject();
        problem.Remove("traceId");
        return problem.ToJsonString();
    }
}
