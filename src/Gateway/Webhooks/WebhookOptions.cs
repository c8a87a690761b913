using System.ComponentModel.DataAnnotations;

namespace Gateway.Webhooks;

/// <summary>
/// Where Reducto's completion notifications are accepted. With neither secret set, <c>POST /webhooks/reducto</c>
/// does not exist: an unauthenticated endpoint that triggers upstream calls is opened only on purpose.
/// </summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// For Reducto's direct webhooks, which are not signed: the secret travels in the URL configured at Reducto
    /// (<c>https://gateway/webhooks/reducto?secret=…</c>) and is compared in constant time.
    /// </summary>
    [MinLength(16)]
    public string? Secret { get; set; }

    /// <summary>For Svix deliveries: the endpoint's signing secret (<c>whsec_…</c>) from the Svix portal.</summary>
    public string? SvixSecret { get; set; }

    /// <summary>How far a Svix delivery's timestamp may be from the gateway's clock: a replayed delivery older than this is refused.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan SvixTolerance { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => !string.IsNullOrEmpty(Secret) || !string.IsNullOrEmpty(SvixSecret);
}
