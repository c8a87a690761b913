using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Creations;

/// <summary>
/// The request lifetime a forwarded creation runs under once it is being sent: YARP cancels its upstream call when
/// <see cref="HttpContext.RequestAborted"/> fires, and a creation Reducto has received is a job it bills whether or not
/// anyone hears the answer. Here that token fires only when the host has stopped; the upstream timeout is YARP's own
/// (<c>ActivityTimeout</c>). <see cref="Abort"/> still closes the caller's connection.
/// </summary>
internal sealed class CreationLifetime(IHttpRequestLifetimeFeature caller, CancellationToken hostStopped) : IHttpRequestLifetimeFeature
{
    /// <summary>The caller's own token, which the creation no longer answers to.</summary>
    public CancellationToken CallerGone { get; } = caller.RequestAborted;

    public CancellationToken RequestAborted
    {
        get => hostStopped;
        set { }
    }

    public void Abort() => caller.Abort();
}
