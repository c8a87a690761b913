using Gateway.Auth;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Gateway.Ownership;

/// <summary>
/// Records who created what a forwarded creation answers with, before the caller can have the whole answer: the
/// answer streams through as it arrives, less its last byte, which is sent only once the ledger has the owner. A
/// caller therefore never holds a complete <c>job_id</c> or <c>file_id</c> that another replica could not yet place,
/// and a synchronous answer of many megabytes is never buffered to find its id.
/// </summary>
internal sealed class CreationRecorder
{
    private readonly HttpContext _context;
    private readonly OwnedKind _kind;
    private readonly TopLevelIdScanner _scanner;
    private readonly LastByteHeldResponseBody _body;
    private readonly IHttpResponseBodyFeature _original;

    private CreationRecorder(HttpContext context, OwnedKind kind)
    {
        _context = context;
        _kind = kind;
        _scanner = new TopLevelIdScanner(kind == OwnedKind.Job ? "job_id"u8 : "file_id"u8);
        _original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        _body = new LastByteHeldResponseBody(_original, _scanner);
        context.Features.Set<IHttpResponseBodyFeature>(_body);

        // The answer's id is found in the bytes as they pass, which a compressed answer would hide.
        context.Request.Headers.AcceptEncoding = default;
    }

    /// <summary>Starts watching the answer of a creating route; null for every other route.</summary>
    public static CreationRecorder? Begin(HttpContext context, OwnershipRole role) => role switch
    {
        OwnershipRole.CreatesJob => new CreationRecorder(context, OwnedKind.Job),
        OwnershipRole.CreatesFile => new CreationRecorder(context, OwnedKind.File),
        _ => null,
    };

    /// <summary>The job or file id the answer named and the ledger recorded, once <see cref="FinishAsync"/> has run.</summary>
    public string? Recorded { get; private set; }

    /// <summary>
    /// Once the forwarder is done, puts the response's own body back: whatever the gateway writes next (a problem for
    /// an upstream that never answered) goes straight to the caller.
    /// </summary>
    public void Detach() => _context.Features.Set(_original);

    /// <summary>For an answer that started: records the owner of a successful creation, then lets the last byte go.</summary>
    /// <param name="recorded">Told the id once the owner is recorded, while the caller still lacks the last byte.</param>
    public async Task FinishAsync(OwnershipLedger ledger, Usage.UsageLedger usage, TimeProvider time, ILogger logger, Func<string, Task>? recorded = null)
    {
        var status = _context.Response.StatusCode;
        if (status is >= 200 and < 300)
        {
            var route = _context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId ?? _context.Request.Path.Value ?? string.Empty;
            if (_scanner.Found is { } id)
            {
                var caller = _context.Caller();
                await ledger.RecordAsync(_kind, id, new Owner(caller.Team, caller.KeyId, route, time.GetUtcNow()));
                Recorded = id;
                await (recorded?.Invoke(id) ?? Task.CompletedTask);
                usage.Count(caller.Team, _kind == OwnedKind.Job ? Usage.UsageCounter.JobsCreated : Usage.UsageCounter.FilesCreated);
            }
            else
            {
                logger.OwnerNotFound(route, status, _kind == OwnedKind.Job ? "job_id" : "file_id");
            }
        }

        await _body.ReleaseAsync();
    }
}
