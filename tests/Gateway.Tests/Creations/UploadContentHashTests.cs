using System.Security.Cryptography;
using System.Text;
using Gateway.Creations;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Creations;

/// <summary>
/// An upload's document is its file part's bytes (with the name's extension and the query), however the body is
/// framed and however it arrives in pieces; anything that is not a complete form with a file part has none.
/// </summary>
public sealed class UploadContentHashTests
{
    private static readonly byte[] File = [.. "%PDF-1.4\r\n--b\r\n--boundar\r\n\r\n"u8, .. Enumerable.Range(0, 3000).Select(static i => (byte)(i * 7)), .. "\r\n-"u8];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void TheFileBytes_AreTheIdentity_WhateverTheReadsAndTheBoundary(int readSize)
    {
        var expected = Expected(File, ".pdf", "?a=1");

        Assert.Equal(expected, Hash(Form("boundary", File, "doc.pdf"), "boundary", readSize, "?a=1"));
        Assert.Equal(expected, Hash(Form("x", File, "other name.PDF", preamble: true, fieldFirst: true), "\"x\"", readSize, "?a=1"));
    }

    [Fact]
    public void AnotherByte_AnotherExtension_OrAnotherQuery_IsAnotherDocument()
    {
        var identity = Hash(Form("zz9", File, "doc.pdf"), "zz9", 4096, "");

        Assert.NotEqual(identity, Hash(Form("zz9", [.. File, 0], "doc.pdf"), "zz9", 4096, ""));
        Assert.NotEqual(identity, Hash(Form("zz9", File, "doc.docx"), "zz9", 4096, ""));
        Assert.NotEqual(identity, Hash(Form("zz9", File, "doc.pdf"), "zz9", 4096, "?extension=docx"));
    }

    [Fact]
    public void NoFilePart_ACutShortBody_OrNoForm_HasNoIdentity()
    {
        var form = Form("zz9", File, "doc.pdf");

        Assert.Null(Hash(Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n"), "b", 4096, ""));
        Assert.Null(Hash(form[..^10], "zz9", 4096, ""));
        Assert.Null(For("application/pdf", ""));
        Assert.Null(For("multipart/form-data", ""));
    }

    private static byte[] Form(string boundary, byte[] file, string fileName, bool preamble = false, bool fieldFirst = false)
    {
        var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.ASCII.GetBytes(text));
        if (preamble)
        {
            Write("ignored preamble\r\n");
        }

        if (fieldFirst)
        {
            Write($"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nsomething\r\n");
        }

        Write($"--{boundary}\r\nContent-Disposition: form-data; name=file; filename=\"{fileName}\"\r\nContent-Type: application/pdf\r\n\r\n");
        body.Write(file);
        Write($"\r\n--{boundary}--\r\n");
        return body.ToArray();
    }

    private static string? Hash(byte[] body, string boundary, int readSize, string query)
    {
        using var hash = For("multipart/form-data; boundary=" + boundary, query)!;
        foreach (var chunk in body.Chunk(readSize))
        {
            hash.Append(chunk);
        }

        return hash.Identity;
    }

    private static UploadContentHash? For(string contentType, string query)
    {
        var request = new DefaultHttpContext().Request;
        request.ContentType = contentType;
        request.QueryString = new QueryString(query.Length == 0 ? null : query);
        return UploadContentHash.For(request);
    }

    private static string Expected(byte[] file, string extension, string query) =>
        Convert.ToHexStringLower(SHA256.HashData([.. SHA256.HashData(file), .. Encoding.UTF8.GetBytes("\n" + extension + "\n" + query)]));
}
