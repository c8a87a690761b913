using System.Globalization;
using System.Text;

namespace Reducto.StandIn;

/// <summary>
/// Realistic job bodies in the shapes Reducto documents (EnhancedAsyncJobResponse with a parse result), padded with
/// chunks of plain text to a requested size.
/// </summary>
internal static class JobBodies
{
    private const string Words =
        "Invoice total amount due within thirty days of receipt. The parties agree that all disputes shall be settled " +
        "by arbitration. Quarterly revenue grew across every region while operating costs remained flat. Table two " +
        "lists the measured values for each sample, with confidence intervals computed at the ninety five percent level. ";

    /// <param name="cost">What the job's usage says it cost; 3 pages at 3.0 credits when not given.</param>
    public static byte[] Completed(string jobId, int targetBytes, DateTimeOffset at, bool urlResult = false, JobCost? cost = null)
    {
        var created = Iso(at);
        var (pages, credits) = cost is { } c
            ? (c.Pages.ToString(CultureInfo.InvariantCulture), c.Credits?.ToString(CultureInfo.InvariantCulture) ?? "null")
            : ("3", "3.0");
        var inner = urlResult
            ? $"{{\"type\":\"url\",\"url\":\"{PresignedUrl("results/" + jobId + ".json", at)}\",\"result_id\":\"{jobId}-result\"}}"
            : null;
        var head = new StringBuilder()
            .Append("{\"status\":\"Completed\",\"progress\":1.0,\"reason\":null,\"error\":null,\"type\":\"Parse\",")
            .Append("\"num_pages\":").Append(pages).Append(",\"total_pages\":").Append(pages).Append(",\"duration\":1.84,\"created_at\":\"").Append(created).Append("\",")
            .Append("\"raw_config\":\"{\\\"options\\\":{\\\"ocr_mode\\\":\\\"standard\\\"}}\",\"source\":null,\"bucket\":null,")
            .Append("\"result\":{\"response_type\":\"parse\",\"job_id\":\"").Append(jobId).Append("\",\"duration\":1.84,")
            .Append("\"pdf_url\":\"").Append(PresignedUrl("documents/" + jobId + ".pdf", at)).Append("\",")
            .Append("\"studio_link\":\"https://studio.reducto.ai/job/").Append(jobId).Append("\",")
            .Append("\"usage\":{\"num_pages\":").Append(pages).Append(",\"credits\":").Append(credits)
            .Append(",\"credit_breakdown\":{\"page\":").Append(credits).Append("}},")
            .Append("\"result\":");
        if (inner is not null)
        {
            return Encoding.UTF8.GetBytes(head.Append(inner).Append(",\"document_properties\":null}}").ToString());
        }

        head.Append("{\"type\":\"full\",\"chunks\":[");
        const string tail = "],\"ocr\":null,\"custom\":null},\"document_properties\":null}}";
        var chunk = 0;
        while (true)
        {
            var overhead = ChunkJson(chunk, string.Empty).Length + (chunk == 0 ? 0 : 1);
            var room = targetBytes - head.Length - tail.Length - overhead;
            if (room <= 0 && chunk > 0)
            {
                break;
            }

            var length = Math.Clamp(room, 16, 4096);
            if (chunk > 0)
            {
                head.Append(',');
            }

            head.Append(ChunkJson(chunk, Text(chunk, length / 2)));
            chunk++;
        }

        return Encoding.UTF8.GetBytes(head.Append(tail).ToString());
    }

    public static byte[] Failed(string jobId, DateTimeOffset at) => Encoding.UTF8.GetBytes(
        "{\"status\":\"Failed\",\"progress\":null,\"reason\":\"The document could not be opened: the file is corrupt.\"," +
        "\"error\":{\"code\":400,\"name\":\"DOCUMENT_CORRUPT\",\"message\":\"The document could not be opened.\",\"job_id\":\"" + jobId + "\"}," +
        "\"result\":null,\"type\":\"Parse\",\"created_at\":\"" + Iso(at) + "\"}");

    public static byte[] Running(string status, int progress) => Encoding.UTF8.GetBytes(
        $"{{\"status\":\"{status}\",\"progress\":{progress},\"reason\":null,\"error\":null,\"result\":null,\"type\":\"Parse\"}}");

    /// <summary>
    /// A running job's body grown to <paramref name="size"/> bytes with a field clients ignore, for benchmarks that
    /// need a non-terminal body of a given size. A body already that large is returned as it is.
    /// </summary>
    public static byte[] PaddedTo(byte[] body, int size)
    {
        const string open = ",\"stand_in_padding\":\"", close = "\"}";
        var padding = size - (body.Length - 1) - open.Length - close.Length;
        if (padding <= 0)
        {
            return body;
        }

        var text = Encoding.UTF8.GetString(body, 0, body.Length - 1) + open + new string('x', padding) + close;
        return Encoding.UTF8.GetBytes(text);
    }

    public static string PresignedUrl(string key, DateTimeOffset signedAt) =>
        "https://reducto-results.s3.us-west-2.amazonaws.com/" + key +
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASTANDIN%2F" + signedAt.ToString("yyyyMMdd", CultureInfo.InvariantCulture) +
        "%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=" + signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) +
        "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + new string('a', 64);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // A chunk carries its text twice (content and embed), as Reducto's do.
    public static string ChunkJson(int index, string text) =>
        "{\"content\":\"" + text + "\",\"embed\":\"" + text + "\",\"enriched\":null,\"enrichment_success\":false,\"blocks\":[" +
        "{\"type\":\"Text\",\"bbox\":{\"left\":0.1,\"top\":" + (index % 9 / 10.0).ToString("0.0", CultureInfo.InvariantCulture) +
        ",\"width\":0.8,\"height\":0.09,\"page\":" + (index / 9 + 1).ToString(CultureInfo.InvariantCulture) +
        ",\"original_page\":1},\"content\":\"\",\"image_url\":null,\"chart_data\":null,\"confidence\":\"high\"," +
        "\"granular_confidence\":{\"extract_confidence\":null,\"parse_confidence\":0.95},\"extra\":null}]}";

    // Words drawn at random (seeded, so bodies are stable) with numbers mixed in: repeating one paragraph would
    // compress fifty-fold, far better than real parse output, and flatter any benchmark of compression.
    private static readonly string[] s_vocabulary = Words.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Concat(["revenue", "liability", "schedule", "exhibit", "pursuant", "warranty", "indemnify", "fiscal", "quarter",
            "assets", "depreciation", "tenant", "premises", "subtotal", "shipment", "carrier", "invoice", "net", "gross",
            "signature", "witness", "effective", "termination", "clause", "section", "paragraph", "appendix", "figure",
            "patient", "dosage", "diagnosis", "laboratory", "specimen", "reference", "range", "result", "units", "mg"])
        .ToArray();

    public static string Text(int seed, int length)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length + 16);
        while (builder.Length < length)
        {
            if (random.Next(6) == 0)
            {
                builder.Append(random.Next(100_000).ToString(CultureInfo.InvariantCulture)).Append('.').Append(random.Next(100).ToString("00", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(s_vocabulary[random.Next(s_vocabulary.Length)]);
            }

            builder.Append(random.Next(12) == 0 ? ". " : " ");
        }

        return builder.ToString(0, length);
    }
}
