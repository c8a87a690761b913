namespace Gateway.Cluster;

/// <summary>
/// Which replica refreshes which running job, agreed without a coordinator: every replica knows the same members (the
/// census's set in Redis, read every <see cref="ReplicaCensus.Period"/>) and ranks them for a job by one hash of
/// (member, job), highest first (rendezvous hashing). So the replicas split the jobs evenly, each job has one owner in
/// every replica's view, and a replica joining or leaving moves only its own share. Views that disagree for a census
/// period (a replica just started or died) give a job two owners (one upstream read more, as before) or none (its
/// non-owners refresh it a little late, see <c>RefreshQueue</c>). With Redis unreachable, or this replica not yet in
/// the set, every replica owns every job: each then refreshes for itself, as it must, since it cannot see the others'
/// answers.
/// </summary>
internal sealed class ReplicaRing(Func<bool> redisReachable)
{
    private string[] _members = [];

    /// <summary>This replica's name in the census.</summary>
    public string Me { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The members the census last read, this one among them.</summary>
    public void Saw(IReadOnlyCollection<string> members) => Volatile.Write(ref _members, [.. members]);

    /// <summary>Whether this replica refreshes the job cached under <paramref name="key"/>.</summary>
    public bool Owns(string key)
    {
        var members = Volatile.Read(ref _members);
        if (members.Length <= 1 || !redisReachable() || Array.IndexOf(members, Me) < 0)
        {
            return true;
        }

        // This replica is among the members, so it is scored with them.
        string? best = null;
        var bestScore = 0UL;
        foreach (var member in members)
        {
            var score = Score(member, key);
            if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(member, best) > 0))
            {
                (best, bestScore) = (member, score);
            }
        }

        return string.Equals(best, Me, StringComparison.Ordinal);
    }

    // FNV-1a over both strings, then a 64-bit finaliser (splitmix64's) so that near keys score far apart. Stable across
    // processes and machines, which string.GetHashCode is not.
    private static ulong Score(string member, string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in member)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ '|') * 1099511628211UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9UL;
        hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }
}
