using System.ComponentModel.DataAnnotations;

namespace Gateway.Jobs;

/// <summary>How long-polling callers (<c>Prefer: wait=N</c>) are served.</summary>
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
}
