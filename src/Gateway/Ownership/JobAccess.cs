using Gateway.Auth;
using Gateway.Caching;
using Gateway.Jobs;
using Gateway.Redis;
using Microsoft.Extensions.Options;

namespace Gateway.Ownership;

/// <summary>What <c>Jobs:UnownedJobs</c> does with a job or file the ledger does not know.</summary>
public enum UnownedJobs
{
    /// <summary>No team may use it, and nothing is sent upstream for it.</summary>
    Deny,

    /// <summary>Every team with the scope may use it, as before the ledger existed: for a migration window.</summary>
    Shared,
}

/// <summary>
/// The one rule of who may use whose work, applied by every path that serves or touches a job or file: the job read
/// (pipeline and direct path alike), the forwarded cancel, delete and upload delete, references in job-creating
/// bodies, and the job list. A team reads its own work and that of the teams in its <c>ReadsJobsOf</c>; it changes
/// (cancels, deletes, references) only its own; unowned work follows <c>Jobs:UnownedJobs</c>.
/// </summary>
internal sealed class JobAccess(OwnershipLedger ledger, ResponseCache cache, RedisKeys keys, IOptions<JobOptions> jobs)
{
    private readonly bool _unownedShared = jobs.Value.UnownedJobs == UnownedJobs.Shared;

    /// <param name="owner">The owning team, or null for unowned work.</param>
    public bool MayRead(TeamPrincipal caller, string? owner) =>
        owner is null ? _unownedShared : owner == caller.Team || caller.ReadsJobsOf.Contains(owner);

    /// <param name="owner">The owning team, or null for unowned work.</param>
    public bool MayChange(TeamPrincipal caller, string? owner) => owner is null ? _unownedShared : owner == caller.Team;

    /// <summary>
    /// Whether <paramref name="caller"/> may read the job: the memory tier's copy carries its owner (no look-up),
    /// otherwise the ledger says.
    /// </summary>
    public async ValueTask<bool> MayReadAsync(TeamPrincipal caller, string jobId) =>
        cache.GetLocal(keys.ForJob(jobId)) is { } entry
            ? MayRead(caller, entry.Owner)
            : MayRead(caller, (await ledger.FindAsync(OwnedKind.Job, jobId))?.Team);

    /// <summary>Whether <paramref name="caller"/> may cancel, delete or reference the job or file.</summary>
    public async ValueTask<bool> MayChangeAsync(TeamPrincipal caller, OwnedKind kind, string id) =>
        MayChange(caller, (await ledger.FindAsync(kind, id))?.Team);
}
