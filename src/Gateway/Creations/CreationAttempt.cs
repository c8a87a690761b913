using Gateway.Auth;
using Microsoft.AspNetCore.Http.Features;
using StackExchange.Redis;

namespace Gateway.Creations;

/// <summary>
/// One creating call as the forwarding gate sees it: answered already (<see cref="Settled"/>), or on its way upstream
/// holding a claim. Once <see cref="Protect"/> is called it is finished whatever the caller does: a caller that hangs
/// up no longer cancels the upstream call, and the answer is kept for the retry that follows. A claim not finished
/// (a refusal by budget or quota, an exception) is released on disposal, so a retry may try again.
/// </summary>
internal sealed class CreationAttempt(HttpContext context, CreationGate gate, string route) : IAsyncDisposable
{
    private RedisKey _key;
    private CreationRecord? _mark;
    private TimeSpan _keepFor;
    private IHttpRequestLifetimeFeature? _callerLifetime;
    private IHttpResponseBodyFeature? _callerBody;
    private CapturedResponseBody? _body;
    private bool _finished;

    public string Route => route;

    /// <summary>What an upload holds, learnt as its bytes pass, when its team reuses jobs; null otherwise.</summary>
    public UploadContentHash? UploadContent { get; internal set; }

    /// <summary>The answer already decided (a replay or a refusal): send it, and send nothing upstream.</summary>
    public IResult? Settled { get; private set; }

    internal CreationAttempt Settle(IResult answer)
    {
        Settled = answer;
        return this;
    }

    internal CreationAttempt Replay(StoredAnswer answer, string reason)
    {
        gate.Logger.Replayed(route, context.Team(), reason);
        gate.Metrics.CreationReplayed(context.Team(), route, reason);
        return Settle(new CreationReplay(answer));
    }

    /// <returns>False when an exclusive claim was lost to another request.</returns>
    internal async Task<bool> ClaimAsync(RedisKey key, byte[] fingerprint, bool exclusive, TimeSpan keepFor)
    {
        var (won, _) = await gate.Store.ClaimAsync(key, fingerprint, exclusive);
        if (won is null)
        {
            return false;
        }

        (_key, _mark, _keepFor) = (key, won, keepFor);
        return true;
    }

    /// <summary>
    /// Called just before the request goes upstream: from here the call is finished even if its caller hangs up, and its
    /// answer is copied as it streams through.
    /// </summary>
    public void Protect()
    {
        _callerLifetime = context.Features.GetRequiredFeature<IHttpRequestLifetimeFeature>();
        var lifetime = new CreationLifetime(_callerLifetime, gate.HostStopped);
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        _callerBody = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        _body = new CapturedResponseBody(_callerBody, gate.Options.MaxAnswerBytes, lifetime.CallerGone);
        context.Features.Set<IHttpResponseBodyFeature>(_body);
        gate.Metrics.CreationForwarded(context.Team(), route);
    }

    /// <summary>
    /// Once the forwarder and the ownership record are done: keeps a successful answer (2xx, complete) for its
    /// repeats; anything else releases the claim, since no job came of it that a retry could be told about.
    /// </summary>
    public async Task FinishAsync(bool forwarded)
    {
        _finished = true;
        Restore();
        if (_mark is null)
        {
            return;
        }

        var status = context.Response.StatusCode;
        if (_callerLifetime is { RequestAborted.IsCancellationRequested: true })
        {
            gate.Logger.OutlivedCaller(route, context.Team(), status);
        }

        if (forwarded && status is >= 200 and < 300 && _body?.Captured is { } captured)
        {
            await gate.Store.CompleteAsync(_key, _mark, new StoredAnswer(status, context.Response.ContentType, captured), _keepFor);
            return;
        }

        gate.Logger.NotKept(route, status, !forwarded ? "the upstream exchange failed" : status is >= 200 and < 300 ? "larger than Creations:MaxAnswerBytes" : "not a success");
        await gate.Store.ReleaseAsync(_key, _mark);
    }

    public async ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return;
        }

        Restore();
        if (_mark is not null)
        {
            await gate.Store.ReleaseAsync(_key, _mark);
        }
    }

    // Whatever the gateway writes next (a problem for an upstream that never answered) goes straight to the caller.
    private void Restore()
    {
        if (_callerLifetime is not null)
        {
            context.Features.Set(_callerLifetime);
        }

        if (_callerBody is not null && context.Features.Get<IHttpResponseBodyFeature>() == _body)
        {
            context.Features.Set(_callerBody);
        }
    }
}
