namespace Gateway.Jobs;

/// <summary>
/// The shared state of everyone in this process long-polling one job: the answer that ends their wait once there is
/// one, and the latest non-terminal response for those whose wait runs out first.
/// </summary>
internal sealed class JobWatch(string jobId, JobRead latest)
{
    private JobRead _latest = latest;

    public string JobId { get; } = jobId;

    /// <summary>Guarded by the watcher's lock.</summary>
    public int Waiters { get; set; }

    public TaskCompletionSource<JobRead> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobRead Latest => Volatile.Read(ref _latest);

    /// <summary>Takes whatever was learnt about the job, from this process's polls or any replica's notices.</summary>
    public void Offer(JobRead read)
    {
        if (read.EndsWait)
        {
            Answer.TrySetResult(read);
        }
        else if (read.Failure == Upstream.UpstreamFailure.None)
        {
            Volatile.Write(ref _latest, read);
        }
    }
}
