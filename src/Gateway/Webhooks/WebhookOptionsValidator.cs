using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

[OptionsValidator]
internal sealed partial class WebhookOptionsValidator : IValidateOptions<WebhookOptions>;

/// <summary>A Svix secret that cannot be decoded would refuse every delivery; say so at start-up instead.</summary>
internal sealed class SvixSecretValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options) =>
        string.IsNullOrEmpty(options.SvixSecret) || SvixSignature.TryDecodeSecret(options.SvixSecret, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{WebhookOptions.SectionName}:SvixSecret must be the endpoint's signing secret as Svix shows it: whsec_ followed by base64.");
}
