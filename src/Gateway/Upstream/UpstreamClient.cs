using System.Net.Http.Headers;
using Gateway.Hosting;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Gateway.Upstream;

/// <summary>
/// The only code that calls Reducto for jobs. The request is built from nothing: the caller's headers (its own
/// Authorization, cookies, hop-by-hop headers) never reach it, and the server key is added by the client's handler
/// configuration in <see cref="UpstreamExtensions"/>.
/// </summary>
internal sealed class UpstreamClient(HttpClient http, IOptions<UpstreamOptions> options, TimeProvider time, ILogger<UpstreamClient> logger)
{
    private static readonly MediaTypeWithQualityHeaderValue s_json = new("application/json");

    public async Task<UpstreamResult> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = new CancellationTokenSource(settings.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "job/" + jobId);
        request.Headers.Accept.Add(s_json);

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            var body = await BoundedBodyReader.ReadAsync(stream, response.Content.Headers.ContentLength, settings.MaxResponseBytes, linked.Token);
            if (body is null)
            {
                logger.TooLarge(jobId, settings.MaxResponseBytes);
                return UpstreamResult.Failed(UpstreamFailure.TooLarge);
            }

            return new UpstreamResult(
                UpstreamFailure.None,
                (int)response.StatusCode,
                response.Content.Headers.ContentType?.ToString(),
                body,
                RetryAfterHint.From(response.Headers));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            logger.TimedOut(jobId, settings.Timeout);
            return UpstreamResult.Failed(UpstreamFailure.TimedOut);
        }
        catch (BrokenCircuitException)
        {
            return UpstreamResult.Failed(UpstreamFailure.CircuitOpen);
        }
        catch (TimeoutRejectedException)
        {
            logger.TimedOut(jobId, settings.AttemptTimeout);
            return UpstreamResult.Failed(UpstreamFailure.TimedOut);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            logger.Unreachable(jobId, exception);
            return UpstreamResult.Failed(UpstreamFailure.Unreachable);
        }
    }
}
