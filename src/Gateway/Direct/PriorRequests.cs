using System.Globalization;

namespace Gateway.Direct;

/// <summary>
/// How many requests a connection had answered before the Kestrel session now serving it began: a turn, or the rest
/// of a handed-off connection, is a fresh Kestrel session whose own request counter starts again at 1. Trace
/// identifiers are numbered on from here, as Kestrel numbers them when it serves the whole connection, so every request
/// keeps its own identifier and operators can still correlate by it.
/// </summary>
internal sealed class PriorRequests
{
    public long Count { get; set; }

    /// <summary>The pipeline's first step: renumbers the trace identifier of a request served by a later session.</summary>
    public static WebApplication UseContinuedTraceIdentifiers(WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Features.Get<PriorRequests>() is { Count: > 0 } prior)
            {
                context.TraceIdentifier = Continue(context.TraceIdentifier, prior.Count);
            }

            return next(context);
        });
        return app;
    }

    // Kestrel's form: "<connection id>:<request number, 8 hex digits>".
    internal static string Continue(string traceIdentifier, long prior)
    {
        var colon = traceIdentifier.LastIndexOf(':');
        return colon > 0 && long.TryParse(traceIdentifier.AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var own)
            ? string.Create(CultureInfo.InvariantCulture, $"{traceIdentifier.AsSpan(0, colon)}:{prior + own:X8}")
            : traceIdentifier;
    }
}
