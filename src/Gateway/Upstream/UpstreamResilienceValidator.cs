using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Polly;

namespace Gateway.Upstream;

/// <summary>
/// Builds the upstream resilience pipeline once at start-up from the settings. The pipeline is otherwise built on the
/// first upstream call, so a value its strategies refuse (an attempt timeout under 10 ms) would have started fine and
/// then answered every call with a 500.
/// </summary>
internal sealed class UpstreamResilienceValidator : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        try
        {
            var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>();
            UpstreamResilience.AddStrategies(pipeline, options, circuit: null);
            pipeline.Build();
            return ValidateOptionsResult.Success;
        }
        catch (ValidationException exception)
        {
            var reason = string.Join(' ', exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return ValidateOptionsResult.Fail(
                $"{UpstreamOptions.SectionName}:Retries/AttemptTimeout/Circuit*: the resilience pipeline refuses these values: {reason}");
        }
    }
}
