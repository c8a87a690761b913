using System.Buffers;

namespace Gateway.Hosting;

/// <summary>
/// Reads a body (an upstream response, a webhook) into one exactly sized array, or null past the limit. Upstream bodies
/// are cached and shared as is, so the array must not be a pooled buffer. When the length is known it is allocated
/// once; otherwise pooled buffers grow and one copy is made.
/// </summary>
internal static class BoundedBodyReader
{
    public static async Task<byte[]?> ReadAsync(Stream stream, long? contentLength, long maxBytes, CancellationToken cancellationToken)
    {
        if (contentLength is { } length)
        {
            if (length > maxBytes)
            {
                return null;
            }

            var body = new byte[length];
            await stream.ReadExactlyAsync(body, cancellationToken);
            return body;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    return buffer.AsSpan(0, filled).ToArray();
                }

                filled += read;
                if (filled > maxBytes)
                {
                    return null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
