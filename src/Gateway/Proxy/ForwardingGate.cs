using Gateway.Auth;
using Gateway.Creations;
using Gateway.Jobs;
using Gateway.Ownership;
using Gateway.Problems;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Proxy;

/// <summary>
/// What every forwarded call passes through inside YARP's pipeline: ownership first (nothing refused spends budget or
/// reaches the upstream), the shared upstream budget, per-team usage, the owner of whatever the call creates, and
/// failures turned into the gateway's own problem details. A creating call that repeats an earlier one (an
/// Idempotency-Key, an SDK retry) is answered before any of that is spent, then one asking for work the team already
/// has Completed (<see cref="JobReuse"/>); one that is sent is finished even if its caller hangs up (<see cref="CreationGate"/>). A failed POST is marked <c>x-should-retry: false</c>: Reducto
/// may already have acted on it (a second parse job), and the SDK cannot resend an upload body it has consumed.
/// </summary>
internal static class ForwardingGate
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var role = context.GetEndpoint()?.Metadata.GetMetadata<OwnershipRoute>()?.Role ?? OwnershipRole.None;
        if (await context.RequestServices.GetRequiredService<OwnershipGate>().CheckAsync(context, role) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        // A repeat of an earlier creation is answered first: its job exists already and costs no credits.
        await using var creation = await context.RequestServices.GetRequiredService<CreationGate>().StartAsync(context, role);
        if (creation?.Settled is { } settled)
        {
            await settled.ExecuteAsync(context);
            return;
        }

        // The team's earlier Completed job of the same work, when it reuses: it exists already and costs nothing.
        var reuse = context.RequestServices.GetRequiredService<JobReuse>();
        var (reused, reuseKey) = creation is null ? (null, null) : await reuse.StartAsync(context, role, creation.Route);
        if (reused is not null)
        {
            await reused.ExecuteAsync(context);
            return;
        }

        if (await Credits.CreditBudgets.CheckAsync(context, role) is { } overBudget)
        {
            await overBudget.ExecuteAsync(context);
            return;
        }

        var refusals = context.RequestServices.GetRequiredService<UpstreamRefusals>();
        if (!await context.RequestServices.GetRequiredService<UpstreamBudget>().AcquireRequestAsync(context.Team(), context.RequestAborted))
        {
            await refusals.BudgetExhausted(context, jobPoll: false).ExecuteAsync(context);
            return;
        }

        if (!await context.RequestServices.GetRequiredService<TeamQuotas>().TryChargeAsync(context.Team()))
        {
            await refusals.QuotaExceeded(context).ExecuteAsync(context);
            return;
        }

        context.RequestServices.GetRequiredService<GatewayMetrics>().UpstreamCall(context.Team(), TelemetryExtensions.ForwardedRoute);
        creation?.Protect();
        var recorder = CreationRecorder.Begin(context, role);
        try
        {
            await next();
        }
        finally
        {
            recorder?.Detach();
        }

        var failure = context.GetForwarderErrorFeature();
        if (recorder is not null && (failure is null || context.Response.HasStarted))
        {
            await recorder.FinishAsync(
                context.RequestServices.GetRequiredService<OwnershipLedger>(), context.RequestServices.GetRequiredService<Usage.UsageLedger>(),
                context.RequestServices.GetRequiredService<TimeProvider>(), context.RequestServices.GetRequiredService<ILogger<CreationRecorder>>(),
                id => reuse.RecordedAsync(context, role, id, reuseKey, creation?.UploadContent));
            if (role == OwnershipRole.CreatesJob && recorder.Recorded is { } job && Credits.SynchronousBooking.IsSynchronous(context.Request))
            {
                context.RequestServices.GetRequiredService<Credits.SynchronousBooking>().BookLater(job, context.Team());
            }
        }

        await (creation?.FinishAsync(forwarded: failure is null) ?? Task.CompletedTask);

        if (failure is not null && !context.Response.HasStarted &&
            failure.Error is not (ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient))
        {
            var retry = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method);
            var problem = failure.Error == ForwarderError.RequestTimedOut
                ? GatewayProblems.UpstreamTimeout(context, retry)
                : GatewayProblems.UpstreamUnreachable(context, retry);
            await problem.ExecuteAsync(context);
        }
    }
}
