using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace Gateway.Creations;

/// <summary>
/// What an upload's document is, for reuse: SHA-256 of the bytes of its multipart part named <c>file</c>, with the
/// file name's extension and the query (both can tell Reducto how to read the bytes). It is computed from the bytes
/// as the forwarder reads them, holding nothing but one part's headers, so a 100 MiB upload still streams. The
/// boundary, other parts and the file's name are left out: the same bytes sent twice, by any client, meet.
/// <see cref="Identity"/> is null when the body is not <c>multipart/form-data</c>, has no <c>file</c> part, or ends
/// before its closing delimiter.
/// </summary>
internal sealed class UploadContentHash : IDisposable
{
    private const int MaxHeaderBytes = 16 * 1024;

    private readonly byte[] _delimiter;
    private readonly string _query;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _headers = new byte[512];
    private int _headerLength;
    private State _state = State.Preamble;
    private string? _extension;
    private bool _inFile;
    private byte[]? _identity;

    // The body counts as starting after a line break, so its first delimiter, which has none before it, is found too.
    private int _matched = 2;

    private UploadContentHash(string boundary, string query)
    {
        _delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        _query = query;
    }

    private enum State
    {
        Preamble,
        Headers,
        Content,
        Done,
        Broken,
    }

    /// <summary>The document's identity (hex), once the closing delimiter has been read; null until then, or if there is none.</summary>
    public string? Identity => _identity is null ? null : Convert.ToHexStringLower(_identity);

    /// <summary>A hasher for a <c>multipart/form-data</c> request with a usable boundary; null for any other.</summary>
    public static UploadContentHash? For(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ||
            !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // RFC 2046: 1 to 70 characters, none of them a line break (the scan relies on CR appearing only first).
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary);
        return boundary.Length is >= 1 and <= 70 && boundary.AsSpan().IndexOfAny('\r', '\n') < 0
            ? new UploadContentHash(boundary.ToString(), request.QueryString.Value ?? string.Empty)
            : null;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && _state is State.Preamble or State.Headers or State.Content)
        {
            bytes = _state == State.Headers ? Headers(bytes) : UpToDelimiter(bytes);
        }
    }

    public void Dispose() => _hash.Dispose();

    // The preamble or a part's content, up to the next delimiter, which may begin in one read and end in the next.
    private ReadOnlySpan<byte> UpToDelimiter(ReadOnlySpan<byte> bytes)
    {
        if (_matched > 0)
        {
            var rest = _delimiter.AsSpan(_matched);
            var length = Math.Min(rest.Length, bytes.Length);
            if (bytes[..length].SequenceEqual(rest[..length]))
            {
                _matched += length;
                if (_matched == _delimiter.Length)
                {
                    _matched = 0;
                    PartEnded();
                }

                return bytes[length..];
            }

            // Content after all. The delimiter holds a CR only first, so no other delimiter can start inside it.
            Content(_delimiter.AsSpan(0, _matched));
            _matched = 0;
        }

        var at = bytes.IndexOf(_delimiter);
        if (at >= 0)
        {
            Content(bytes[..at]);
            PartEnded();
            return bytes[(at + _delimiter.Length)..];
        }

        for (var start = Math.Max(0, bytes.Length - _delimiter.Length + 1); start < bytes.Length; start++)
        {
            var cr = bytes[start..].IndexOf((byte)'\r');
            if (cr < 0)
            {
                break;
            }

            start += cr;
            if (_delimiter.AsSpan().StartsWith(bytes[start..]))
            {
                Content(bytes[..start]);
                _matched = bytes.Length - start;
                return default;
            }
        }

        Content(bytes);
        return default;
    }

    // From just after a delimiter: "--" closes the body; otherwise the rest of its line and the part's headers.
    private ReadOnlySpan<byte> Headers(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (_headerLength == _headers.Length)
            {
                if (_headers.Length == MaxHeaderBytes)
                {
                    _state = State.Broken;
                    return default;
                }

                Array.Resize(ref _headers, _headers.Length * 2);
            }

            _headers[_headerLength++] = bytes[i];
            var seen = _headers.AsSpan(0, _headerLength);
            if (seen.SequenceEqual("--"u8))
            {
                Close();
                return default;
            }

            if (seen.EndsWith("\r\n\r\n"u8))
            {
                PartStarted(seen);
                return bytes[(i + 1)..];
            }
        }

        return default;
    }

    private void PartStarted(ReadOnlySpan<byte> headers)
    {
        _headerLength = 0;
        _state = State.Content;
        foreach (var line in Encoding.Latin1.GetString(headers).Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase) &&
                ContentDispositionHeaderValue.TryParse(line[(colon + 1)..].Trim(), out var disposition) &&
                HeaderUtilities.RemoveQuotes(disposition.Name).Equals("file", StringComparison.Ordinal) && _extension is null)
            {
                // Only the first file part is the document; a second one leaves the identity as the first made it.
                var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                _extension = Path.GetExtension(name).ToLowerInvariant();
                _inFile = true;
            }
        }
    }

    private void PartEnded()
    {
        _inFile = false;
        _state = State.Headers;
    }

    private void Content(ReadOnlySpan<byte> bytes)
    {
        if (_inFile)
        {
            _hash.AppendData(bytes);
        }
    }

    private void Close()
    {
        _state = State.Done;
        if (_extension is null)
        {
            return;
        }

        using var identity = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        identity.AppendData(_hash.GetHashAndReset());
        identity.AppendData(Encoding.UTF8.GetBytes("\n" + _extension + "\n" + _query));
        _identity = identity.GetHashAndReset();
    }
}
