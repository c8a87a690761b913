using Gateway.Auth;
using Gateway.Problems;

namespace Gateway.Ownership;

/// <summary>
/// The forwarded routes' half of <see cref="JobAccess"/>: before anything is sent upstream, the id in a cancel or
/// delete path must be the caller's, and so must every file and job a job-creating body references. A refusal is a
/// 404 problem naming the field, the same for another team's id and for an id that does not exist.
/// </summary>
internal sealed class OwnershipGate(JobAccess access, ILogger<OwnershipGate> logger)
{
    /// <summary>
    /// The most a job-creating JSON body may hold. Reducto's are a few kilobytes (options, an extract schema);
    /// documents travel by <c>POST /upload</c> or URL, never inline.
    /// </summary>
    public const int MaxCreationBodyBytes = 4 * 1024 * 1024;

    /// <returns>Null to go on, or the refusal to answer with.</returns>
    public async ValueTask<IResult?> CheckAsync(HttpContext context, OwnershipRole role)
    {
        var caller = context.Caller();
        switch (role)
        {
            case OwnershipRole.ChangesJob when context.GetRouteValue("job_id") is string jobId:
                return await access.MayChangeAsync(caller, OwnedKind.Job, jobId) ? null : Refuse(context, "job_id", OwnedKind.Job);

            case OwnershipRole.ChangesFile when context.GetRouteValue("file_id") is string fileId:
                return await access.MayChangeAsync(caller, OwnedKind.File, fileId) ? null : Refuse(context, "file_id", OwnedKind.File);

            case OwnershipRole.CreatesJob:
                return await CheckReferencesAsync(context, caller);

            case OwnershipRole.ChangesJob or OwnershipRole.ChangesFile:
                // A route configured as acting on an id whose path names none: refuse rather than guess.
                return Refuse(context, role == OwnershipRole.ChangesJob ? "job_id" : "file_id", role == OwnershipRole.ChangesJob ? OwnedKind.Job : OwnedKind.File);

            default:
                return null;
        }
    }

    // The body is read whole (it is small, and bounded) so that what is checked is exactly what is sent: the request
    // then reads from the copy.
    private async ValueTask<IResult?> CheckReferencesAsync(HttpContext context, TeamPrincipal caller)
    {
        var request = context.Request;
        if (request.Headers.ContentEncoding.Count > 0 && !request.Headers.ContentEncoding.All(static value => string.Equals(value?.Trim(), "identity", StringComparison.OrdinalIgnoreCase)))
        {
            return GatewayProblems.EncodedBody(context);
        }

        if (request.ContentLength > MaxCreationBodyBytes)
        {
            return GatewayProblems.CreationBodyTooLarge(context, MaxCreationBodyBytes);
        }

        var body = await ReadBodyAsync(request, context.RequestAborted);
        if (body is null)
        {
            return GatewayProblems.CreationBodyTooLarge(context, MaxCreationBodyBytes);
        }

        request.Body = new MemoryStream(body, writable: false);
        if (body.Length == 0)
        {
            // Nothing to reference; Reducto answers an empty body with its own validation error.
            return null;
        }

        // A byte-order mark is no part of the document (Reducto's JSON reader skips one), so the scan skips it too.
        var json = body.AsSpan();
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        var scan = CreationReferences.Find(json);
        if (!scan.IsJson)
        {
            return GatewayProblems.CreationBodyUnreadable(context);
        }

        foreach (var reference in scan.References)
        {
            var kind = reference.Kind == ReferenceKind.Job ? OwnedKind.Job : OwnedKind.File;

            // Chaining (jobid://) reads a job's result, so a team that may read a job may chain on it; a file is
            // used only by the team that uploaded it.
            var allowed = kind == OwnedKind.Job
                ? await access.MayReadAsync(caller, reference.Id)
                : await access.MayChangeAsync(caller, kind, reference.Id);
            if (!allowed)
            {
                return Refuse(context, reference.Path, kind);
            }
        }

        return null;
    }

    private Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refuse(HttpContext context, string field, OwnedKind kind)
    {
        logger.Refused(context.Request.Method, context.Request.Path.Value ?? string.Empty, field, kind);
        return GatewayProblems.NotOwned(context, field, kind);
    }

    /// <returns>The whole body, or null when it is longer than <see cref="MaxCreationBodyBytes"/>.</returns>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxCreationBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
