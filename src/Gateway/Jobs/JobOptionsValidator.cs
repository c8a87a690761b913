using Microsoft.Extensions.Options;

namespace Gateway.Jobs;

[OptionsValidator]
internal sealed partial class JobOptionsValidator : IValidateOptions<JobOptions>;

/// <summary>Rules between fields, which the attribute validator cannot express.</summary>
internal sealed class JobOptionsIntervalValidator : IValidateOptions<JobOptions>
{
    public ValidateOptionsResult Validate(string? name, JobOptions options) =>
        options.WatchInterval <= options.MaxWatchInterval
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{JobOptions.SectionName}:WatchInterval must not exceed {JobOptions.SectionName}:MaxWatchInterval.");
}
