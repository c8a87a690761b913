using System.Globalization;
using System.Text;

namespace Reducto.StandIn;

/// <summary>
/// The answer of a synchronous route (<c>POST /parse</c> and its siblings): the route's result shape with
/// <c>"job_id"</c> as the last top-level property, so whoever wants the id must read the whole answer. It is
/// streamed from one shared block of chunks, so a many-megabyte answer costs the stand-in no per-request buffer.
/// </summary>
internal static class SyncResults
{
    /// <summary>Pads the answer to this many bytes (exactly, once it is past the route's fixed parts).</summary>
    public const string SizeHeader = "x-standin-result-bytes";

    public const long MaxBytes = 1L << 30;

    private const int DefaultParseBytes = 2048;
    private const int BlockBytes = 64 * 1024;

    private static readonly byte[] s_block;
    private static readonly int[] s_chunkEnds;
    private static readonly int s_lastChunkOverhead = LastChunk(0).Length;

    static SyncResults()
    {
        // Whole chunks, each followed by a comma, so any prefix ending at a chunk end continues a JSON array.
        var text = new StringBuilder(BlockBytes);
        var ends = new List<int>();
        for (var i = 0; ; i++)
        {
            var chunk = JobBodies.ChunkJson(i, JobBodies.Text(i, 480)) + ",";
            if (text.Length + chunk.Length > BlockBytes)
            {
                break;
            }

            text.Append(chunk);
            ends.Add(text.Length);
        }

        s_block = Encoding.UTF8.GetBytes(text.ToString());
        s_chunkEnds = [.. ends];
    }

    /// <summary>
    /// What a synchronous job of this kind costs: its answer's top-level usage, and the usage <c>GET /job</c> reports
    /// for it afterwards, so both tell one story.
    /// </summary>
    public static JobCost Cost(string kind) => kind switch
    {
        "extract" => new(3, 6.0m),
        "classify" => new(1, 1.0m),
        _ => new(3, 3.0m),
    };

    public static long? RequestedBytes(HttpRequest request) =>
        long.TryParse(request.Headers[SizeHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? Math.Min(bytes, MaxBytes) : null;

    public static async Task WriteAsync(HttpResponse response, string kind, string jobId, long? requestedBytes, CancellationToken cancellationToken)
    {
        var frame = Frame(kind, jobId);
        response.StatusCode = 200;
        response.ContentType = "application/json";
        if (requestedBytes is null && !frame.AlwaysChunks)
        {
            var whole = Encoding.UTF8.GetBytes(frame.Head + frame.Tail);
            response.ContentLength = whole.Length;
            await response.Body.WriteAsync(whole, cancellationToken);
            return;
        }

        var head = Encoding.UTF8.GetBytes(frame.Head + frame.ListOpen);
        var tail = Encoding.UTF8.GetBytes(frame.ListClose + frame.Tail);
        var chunkBytes = Math.Max((requestedBytes ?? DefaultParseBytes) - head.Length - tail.Length, s_lastChunkOverhead);
        response.ContentLength = head.Length + chunkBytes + tail.Length;
        await response.Body.WriteAsync(head, cancellationToken);

        var left = chunkBytes - s_lastChunkOverhead;
        while (left >= s_block.Length)
        {
            await response.Body.WriteAsync(s_block, cancellationToken);
            left -= s_block.Length;
        }

        var prefix = s_chunkEnds.LastOrDefault(end => end <= left);
        await response.Body.WriteAsync(s_block.AsMemory(0, prefix), cancellationToken);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(LastChunk((int)(left - prefix))), cancellationToken);
        await response.Body.WriteAsync(tail, cancellationToken);
    }

    // The chunk that closes the list, grown by exactly textBytes (spread over content and embed) to land on the size asked for.
    private static string LastChunk(int textBytes) =>
        "{\"content\":\"" + new string('.', textBytes / 2) + "\",\"embed\":\"" + new string('.', textBytes - textBytes / 2) +
        "\",\"enriched\":null,\"enrichment_success\":false,\"blocks\":[]}";

    /// <param name="AlwaysChunks">Parse results always carry chunks; the other shapes gain a padding list only when asked.</param>
    private sealed record ResultFrame(string Head, string ListOpen, string ListClose, string Tail, bool AlwaysChunks);

    private static ResultFrame Frame(string kind, string jobId)
    {
        var tail = ",\"job_id\":\"" + jobId + "\"}";
        var cost = Cost(kind);
        var (pages, credits) = (cost.Pages.ToString(CultureInfo.InvariantCulture), cost.Credits?.ToString(CultureInfo.InvariantCulture) ?? "null");
        var usage = "\"usage\":{\"num_pages\":" + pages + ",\"credits\":" + credits;
        var parseUsage = usage + ",\"credit_breakdown\":{\"page\":" + credits + "}}";
        const string chunksOpen = ",\"result\":{\"type\":\"full\",\"chunks\":[", chunksClose = "],\"ocr\":null,\"custom\":null}";
        const string paddingOpen = ",\"stand_in_padding\":[", paddingClose = "]";
        var now = DateTimeOffset.UtcNow;
        return kind switch
        {
            "parse" => new(
                "{\"response_type\":\"parse\",\"duration\":1.84," + parseUsage, chunksOpen, chunksClose,
                ",\"pdf_url\":\"" + JobBodies.PresignedUrl("documents/" + jobId + ".pdf", now) + "\",\"studio_link\":\"https://studio.reducto.ai/job/" + jobId +
                "\",\"document_properties\":null" + tail, AlwaysChunks: true),
            "pipeline" => new(
                "{\"response_type\":\"pipeline\"," + usage + "},\"result\":{\"parse\":{\"job_id\":\"" + jobId +
                "\",\"duration\":1.84," + parseUsage, chunksOpen, chunksClose, "},\"extract\":null,\"split\":null}" + tail, AlwaysChunks: true),
            "extract" => new(
                "{\"response_type\":\"extract\",\"usage\":{\"num_pages\":" + pages + ",\"num_fields\":2,\"credits\":" + credits + ",\"extract_mode\":\"standard\"},\"duration\":2.1," +
                "\"result\":[{\"invoice_total\":\"1234.00\",\"due_date\":\"2026-12-31\"}],\"citations\":null", paddingOpen, paddingClose, tail, AlwaysChunks: false),
            "split" => new(
                "{\"response_type\":\"split\"," + usage + "},\"duration\":1.2,\"result\":{\"section_mapping\":{\"Invoice\":[1],\"Terms\":[2,3]}," +
                "\"splits\":[{\"name\":\"Invoice\",\"pages\":[1],\"conf\":\"high\"},{\"name\":\"Terms\",\"pages\":[2,3],\"conf\":\"high\"}]}", paddingOpen, paddingClose, tail, AlwaysChunks: false),
            "edit" => new(
                "{\"response_type\":\"edit\",\"document_url\":\"" + JobBodies.PresignedUrl("edits/" + jobId + ".pdf", now) +
                "\",\"form_schema\":null," + usage + "}", paddingOpen, paddingClose, tail, AlwaysChunks: false),
            "classify" => new(
                "{\"response_type\":\"classify\",\"result\":{\"category\":\"invoice\"},\"response_confidence\":0.97," + usage + "},\"duration\":0.6",
                paddingOpen, paddingClose, tail, AlwaysChunks: false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a synchronous route"),
        };
    }
}
