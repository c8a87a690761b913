using System.Globalization;
using Gateway.Auth;
using Gateway.Ownership;
using Gateway.Problems;
using Gateway.Redis;
using Gateway.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Yarp.ReverseProxy.Model;

namespace Gateway.Creations;

/// <summary>
/// Decides, before anything is spent, whether a creating call is new or repeats one the gateway has seen: the same
/// team's same <c>Idempotency-Key</c> (the key names the request; its route and body must match, or 422), or an SDK
/// retry (<c>x-stainless-retry-count</c> ≥ 1) of the same route and body bytes. A repeat gets the earlier answer, once
/// that is in; a new call registers itself so that its own repeats find it.
/// </summary>
internal sealed class CreationGate(
    CreationStore store, RedisKeys keys, IOptions<CreationOptions> options, TimeProvider time, IHostApplicationLifetime host, GatewayMetrics metrics,
    JobReuse reuse, ILogger<CreationGate> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string RetryCountHeader = "x-stainless-retry-count";

    /// <summary>The longest key accepted; the draft sets none, and keys are UUIDs in practice.</summary>
    public const int MaxKeyLength = 255;

    internal CreationOptions Options => options.Value;

    internal CreationStore Store => store;

    internal GatewayMetrics Metrics => metrics;

    internal ILogger Logger => logger;

    internal CancellationToken HostStopped => host.ApplicationStopped;

    /// <returns>Null for a route that creates nothing; otherwise the attempt, already answered (<see cref="CreationAttempt.Settled"/>) when it repeats one.</returns>
    public async Task<CreationAttempt?> StartAsync(HttpContext context, OwnershipRole role)
    {
        if (role is not (OwnershipRole.CreatesJob or OwnershipRole.CreatesFile))
        {
            return null;
        }

        var request = context.Request;
        var team = context.Team();
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId ?? request.Path.Value ?? string.Empty;
        var attempt = new CreationAttempt(context, this, route);
        string? idempotencyKey = null;
        if (request.Headers.TryGetValue(IdempotencyKeyHeader, out var values))
        {
            if (values.Count != 1 || string.IsNullOrEmpty(values[0]) || values[0]!.Length > MaxKeyLength)
            {
                return attempt.Settle(GatewayProblems.IdempotencyKeyInvalid(context, MaxKeyLength));
            }

            idempotencyKey = values[0];
        }

        // What an upload holds is learnt from the same single pass over its bytes, for a team that reuses jobs.
        var content = role == OwnershipRole.CreatesFile && reuse.EnabledFor(team) ? UploadContentHash.For(request) : null;
        if (content is not null)
        {
            attempt.UploadContent = content;
            context.Response.RegisterForDispose(content);
        }

        var retry = int.TryParse(request.Headers[RetryCountHeader], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1;
        byte[] fingerprint;
        if (request.Body.CanSeek)
        {
            fingerprint = await CreationFingerprint.OfSeekableAsync(route, request.Body, content, context.RequestAborted);
        }
        else if (idempotencyKey is not null || retry)
        {
            var (hash, copy) = await CreationFingerprint.SpoolAsync(route, request.Body, content, context.RequestAborted);
            context.Response.RegisterForDisposeAsync(copy);
            request.Body = copy;
            fingerprint = hash;
        }
        else
        {
            // A first upload streams: it is registered once its last byte has been read, before Reducto can answer.
            request.Body = new HashingRequestBody(request.Body, route, content,
                hash => attempt.ClaimAsync(keys.CreationRetry(team, Convert.ToHexStringLower(hash)), hash, exclusive: false, Options.RetryWindow));
            return attempt;
        }

        var (key, exclusive, keepFor) = idempotencyKey is not null
            ? (keys.CreationIdempotency(team, CreationFingerprint.OfKey(idempotencyKey)), true, Options.IdempotencyTtl)
            : (keys.CreationRetry(team, Convert.ToHexStringLower(fingerprint)), false, Options.RetryWindow);
        return await SettleAsync(context, attempt, key, fingerprint, exclusive, keepFor, lookUp: idempotencyKey is not null || retry);
    }

    /// <summary>
    /// A repeat's answer: the earlier attempt's, once it is in; 422 for a key reused on another request; 409 when the
    /// earlier attempt is still in flight after <see cref="CreationOptions.JoinWait"/>. Otherwise (nothing earlier, or
    /// it failed) the attempt claims the key and goes upstream.
    /// </summary>
    private async Task<CreationAttempt> SettleAsync(
        HttpContext context, CreationAttempt attempt, RedisKey key, byte[] fingerprint, bool exclusive, TimeSpan keepFor, bool lookUp)
    {
        var reason = exclusive ? "idempotency_key" : "sdk_retry";
        var deadline = time.GetUtcNow() + Options.JoinWait;
        while (true)
        {
            if (lookUp && await store.FindAsync(key) is { } found)
            {
                if (!found.Matches(fingerprint))
                {
                    logger.KeyReused(attempt.Route, context.Team());
                    return attempt.Settle(GatewayProblems.IdempotencyKeyReused(context));
                }

                if (found.Answer is { } answer)
                {
                    return attempt.Replay(answer, reason);
                }

                try
                {
                    var wait = deadline - time.GetUtcNow();
                    if (wait <= TimeSpan.Zero)
                    {
                        throw new TimeoutException();
                    }

                    await store.WaitAsync(key, found, wait, context.RequestAborted);
                }
                catch (TimeoutException)
                {
                    logger.StillInFlight(attempt.Route, context.Team());
                    return attempt.Settle(GatewayProblems.CreationInFlight(context));
                }

                // Answered (replayed on the next look), failed, or lapsed (this attempt may try): look again.
                continue;
            }

            if (await attempt.ClaimAsync(key, fingerprint, exclusive, keepFor))
            {
                return attempt;
            }

            // Another request won the key a moment ago: it is now what this one repeats.
            lookUp = true;
        }
    }
}
