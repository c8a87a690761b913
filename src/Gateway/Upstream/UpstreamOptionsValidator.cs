using Microsoft.Extensions.Options;

namespace Gateway.Upstream;

[OptionsValidator]
internal sealed partial class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>;

/// <summary>Rules that need more than one field or the host environment.</summary>
internal sealed class UpstreamOptionsEnvironmentValidator(IHostEnvironment environment) : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        var failures = new List<string>();
        if (options.BaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{UpstreamOptions.SectionName}:BaseUrl must be an absolute http or https address.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey) && !environment.IsDevelopment())
        {
            failures.Add(
                $"{UpstreamOptions.SectionName}:ApiKey is required (or set {UpstreamOptions.ApiKeyEnvironmentVariable}); " +
                "only the Development environment may start without it.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
