using System.Security.Cryptography;
using System.Text;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Webhooks;

internal static class WebhookEndpoints
{
    public const string Path = "/webhooks/reducto";

    // Notifications are a few hundred bytes; anything much larger is not one.
    private const int MaxBodyBytes = 64 * 1024;

    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<WebhookOptions, WebhookOptionsValidator>().BindSettings(WebhookOptions.SectionName);
        services.AddSingleton<IValidateOptions<WebhookOptions>, SvixSecretValidator>();
        services.AddSingleton<JobCompletion>();
        return services;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        if (!routes.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value.Enabled)
        {
            return routes;
        }

        // Reducto holds no gateway key: the secret in the URL or the Svix signature is this endpoint's authentication.
        routes.MapPost(Path, ReceiveAsync)
            .AllowAnonymous()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithTags("Webhooks")
            .WithSummary("Receive Reducto's job completion notifications")
            .WithDescription("Point Reducto's direct webhook (with ?secret=) or a Svix endpoint here: the gateway reads the finished job once, caches it and answers every caller waiting with Prefer: wait.");
        return routes;
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> ReceiveAsync(
        HttpContext context, IOptions<WebhookOptions> options, JobCompletion completion, TimeProvider time, ILogger<JobCompletion> logger)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return GatewayProblems.WebhookTooLarge(context, MaxBodyBytes);
        }

        var body = await BoundedBodyReader.ReadAsync(context.Request.Body, context.Request.ContentLength, MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return GatewayProblems.WebhookTooLarge(context, MaxBodyBytes);
        }

        if (Authenticate(context.Request, body, options.Value, time.GetUtcNow()) is { } reason)
        {
            logger.Rejected(reason);
            return GatewayProblems.WebhookRejected(context);
        }

        if (WebhookNotification.Read(body) is not { } notification)
        {
            return GatewayProblems.WebhookUnreadable(context, "Expected a JSON object with string fields job_id and status (at the top level or under data).");
        }

        if (!JobId.IsValid(notification.JobId))
        {
            return GatewayProblems.InvalidJobId(context);
        }

        // Anything but a terminal status needs nothing: the job is still polled by whoever waits on it. A duplicate
        // delivery finds the job cached and costs nothing upstream.
        if (notification.IsTerminal)
        {
            completion.Notify(notification.JobId);
        }

        return TypedResults.Accepted((string?)null);
    }

    /// <returns>Why the delivery is refused, or null when it is authentic.</returns>
    private static string? Authenticate(HttpRequest request, byte[] body, WebhookOptions options, DateTimeOffset now)
    {
        if (request.Headers.ContainsKey(SvixSignature.SignatureHeader))
        {
            if (string.IsNullOrEmpty(options.SvixSecret) || !SvixSignature.TryDecodeSecret(options.SvixSecret, out var key))
            {
                return "a Svix delivery arrived but Webhooks:SvixSecret is not set";
            }

            return SvixSignature.IsValid(request.Headers, body, key, now, options.SvixTolerance) ? null : "Svix signature or timestamp invalid";
        }

        if (string.IsNullOrEmpty(options.Secret))
        {
            return "no Svix signature, and Webhooks:Secret is not set for direct webhooks";
        }

        string? presented = request.Query["secret"];
        return presented is not null && SecretsEqual(presented, options.Secret) ? null : "secret missing or wrong";
    }

    // Comparing hashes keeps the comparison constant-time whatever the presented length.
    private static bool SecretsEqual(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
