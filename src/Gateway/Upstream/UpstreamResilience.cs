using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Gateway.Upstream;

/// <summary>
/// Retries and a circuit breaker around upstream calls. Only failures that say nothing about the request itself
/// count: no connection, no answer in time, or 502/503/504. A 500 from Reducto is an extraction error that a retry
/// would repeat, so it passes straight through.
/// </summary>
internal static class UpstreamResilience
{
    public static IHttpClientBuilder AddUpstreamResilience(this IHttpClientBuilder client)
    {
        client.AddResilienceHandler("upstream", static (pipeline, context) => AddStrategies(
            pipeline,
            context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value,
            context.ServiceProvider.GetRequiredService<UpstreamCircuit>()));
        return client;
    }

    /// <param name="circuit">Null when the pipeline is only built to check the settings (a state provider serves one pipeline).</param>
    public static void AddStrategies(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, UpstreamOptions options, UpstreamCircuit? circuit)
    {
        if (options.Retries > 0)
        {
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                ShouldHandle = args => ValueTask.FromResult(IsUpstreamFailure(args.Outcome)),
            };
            retry.DisableForUnsafeHttpMethods();
            pipeline.AddRetry(retry);
        }

        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            StateProvider = circuit?.State,
            ShouldHandle = args => ValueTask.FromResult(IsUpstreamFailure(args.Outcome)),
            OnOpened = args =>
            {
                circuit?.Opened(args.BreakDuration);
                return default;
            },
        });
        pipeline.AddTimeout(options.AttemptTimeout);
    }

    private static bool IsUpstreamFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result.StatusCode: HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } => true,
        _ => false,
    };
}
