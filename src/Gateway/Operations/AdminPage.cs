using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Operations;

/// <summary>
/// The operations page: one HTML file embedded in the gateway (nothing is fetched from anywhere else, since many
/// deployments have no internet). It carries no data and no key, so it is served to anyone; it asks for the admin
/// key, keeps it in the tab's sessionStorage and sends it as a bearer header to <c>GET /admin/overview</c>, so the
/// key never appears in a URL, a log line or a history entry. The Content-Security-Policy allows only the page's own
/// inline script and style (by hash) and requests to this origin.
/// </summary>
internal static partial class AdminPage
{
    private const string ResourceName = "Gateway.Operations.AdminPage.html";

    private static readonly Lazy<(byte[] Html, string Policy)> s_page = new(Load);

    public static IResult Serve(HttpContext context)
    {
        var (html, policy) = s_page.Value;
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = policy;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Bytes(html, "text/html; charset=utf-8");
    }

    private static (byte[], string) Load()
    {
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        var policy = "default-src 'none'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
            $"script-src {Hashes(ScriptBlock(), html)}; style-src {Hashes(StyleBlock(), html)}";
        return (Encoding.UTF8.GetBytes(html), policy);
    }

    private static string Hashes(Regex block, string html) => string.Join(' ', block.Matches(html)
        .Select(static match => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(match.Groups["body"].Value)))}'"));

    [GeneratedRegex("<script>(?<body>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();

    [GeneratedRegex("<style>(?<body>.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();
}
