namespace Gateway.Jobs;

/// <summary>What a read of a job is for: it decides what the read may be answered with and how it reaches the upstream.</summary>
internal enum ReadKind
{
    /// <summary>A caller's poll: a running answer shared within its window, or a stale one, will do.</summary>
    Plain,

    /// <summary>
    /// A long-poll watcher's poll, whose point is to learn something new: it skips the shared running answer, and its
    /// own answer refreshes the window for everyone else.
    /// </summary>
    Fresh,

    /// <summary>
    /// A read a completion webhook prompted: fresh, it never waits for another replica's fetch lease, and its budget slot
    /// comes before queued ones (<see cref="JobMisses.ReadAsync"/>).
    /// </summary>
    Notified,
}
