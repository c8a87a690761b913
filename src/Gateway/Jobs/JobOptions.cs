using System.ComponentModel.DataAnnotations;

namespace Gateway.Jobs;

/// <summary>How callers that poll a running job are served: plainly (a shared window) or long (<c>Prefer: wait=N</c>).</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    /// <summary>The longest a caller is held, whatever it asks for; keep it below callers' and proxies' HTTP timeouts.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The watcher's first poll comes this soon after a caller starts waiting; each later one twice as late.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The interval stops growing here: the longest a waiter can learn of completion late without a webhook.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan MaxWatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a running job's answer (a 200 whose status is not terminal) is shared by every plain read on every
    /// replica, counted from the moment the upstream answered. Zero turns sharing off: every plain poll reaches the
    /// upstream, as before the window existed. The longest a plain poller can learn of completion late without a
    /// webhook is this window plus its own poll interval.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan PendingFreshness { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one Redis look lets this replica give a running job's shared answer on the direct path without another
    /// look: the replica registers in Redis as holding the job's answer, and a replica that learns the job is terminal
    /// answers Completed only once every registered holder has said it stopped, or this long after. So a replica that
    /// dies, or stops hearing notices, while it holds one delays that job's completion by this much at most. Zero: one
    /// look per round trip for the job, as before leases.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan RunningAnswerLease { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How old a running job's last answer may be and still be served at once, marked stale, when its window has
    /// lapsed and no upstream budget slot is free; the job is then queued for a refresh, oldest answer first. Zero:
    /// such a read waits for a slot, as before. Counted from the moment the upstream answered. It must cover a whole
    /// refresh cycle (running jobs polled ÷ <c>Upstream:JobPollsPerSecond</c>): past it, callers wait for slots again.
    /// Five minutes covers 45,000 polled running jobs at the default budget.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan StaleRunningAnswers { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Jobs and files the ownership ledger does not know (created before it, or straight at Reducto): <c>Deny</c>
    /// (no team uses them, and nothing is sent upstream for them) or <c>Shared</c> (every team with the scope uses
    /// them, as before), for a migration window.
    /// </summary>
    public Ownership.UnownedJobs UnownedJobs { get; set; } = Ownership.UnownedJobs.Deny;
}
