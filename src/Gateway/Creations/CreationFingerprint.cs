using System.Security.Cryptography;
using System.Text;

namespace Gateway.Creations;

/// <summary>
/// What makes two creations the same request: the route and the body's exact bytes (SHA-256). Exact bytes, not parsed
/// JSON: an SDK's retry resends the very same bytes, and two bodies that differ in any byte might ask for different
/// work. Uploads are hashed as they stream, never held in memory.
/// </summary>
internal static class CreationFingerprint
{
    public static IncrementalHash Begin(string route)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(route));
        hash.AppendData("\n"u8);
        return hash;
    }

    /// <summary>Hashes a body that can be read again (a job-creating body, already read whole), and rewinds it.</summary>
    /// <param name="content">Fed the same bytes, when an upload's document is wanted too.</param>
    public static async Task<byte[]> OfSeekableAsync(string route, Stream body, UploadContentHash? content, CancellationToken cancellationToken)
    {
        using var hash = Begin(route);
        body.Position = 0;
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            hash.AppendData(chunk, 0, read);
            content?.Append(chunk.AsSpan(0, read));
        }

        body.Position = 0;
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Copies a body that streams (an upload) to a temporary file, hashing it on the way: a retry must be compared
    /// before it is sent, and a 100 MiB upload must not sit in memory. The file is deleted when the request ends.
    /// </summary>
    public static async Task<(byte[] Fingerprint, Stream Copy)> SpoolAsync(string route, Stream body, UploadContentHash? content, CancellationToken cancellationToken)
    {
        using var hash = Begin(route);
        var file = new FileStream(Path.Combine(Path.GetTempPath(), "gateway-upload-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            hash.AppendData(chunk, 0, read);
            content?.Append(chunk.AsSpan(0, read));
            await file.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }

        file.Position = 0;
        return (hash.GetHashAndReset(), file);
    }

    /// <summary>An <c>Idempotency-Key</c> as it may appear in Redis and logs: hashed, since it is the caller's and may be anything.</summary>
    public static string OfKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
