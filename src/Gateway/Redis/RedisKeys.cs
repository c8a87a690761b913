using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.Upstream;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// Every name the gateway uses in Redis, and nowhere else. Names carry a fingerprint of the upstream (its address and
/// a hash of the server key), so two deployments sharing one Redis never serve each other's jobs, and rotating the key
/// starts a fresh keyspace. All but <see cref="ForJob"/> are complete; the names are those of earlier releases, so
/// replicas of two versions still share leases, notices and counts during a rolling upgrade.
/// </summary>
internal sealed class RedisKeys(IOptions<UpstreamOptions> upstream, IOptions<RedisOptions> cache)
{
    private readonly string _prefix = "job:v2:" + Fingerprint(upstream.Value) + ":";
    private readonly string _instance = cache.Value.InstanceName;

    /// <summary>
    /// A terminal job's entry: the memory tier's key, and the response store's, which adds the instance prefix itself
    /// (<see cref="Microsoft.Extensions.Caching.StackExchangeRedis.RedisCacheOptions.InstanceName"/>).
    /// </summary>
    public string ForJob(string jobId) => _prefix + jobId;

    /// <summary>A terminal job's entry as it is named in Redis.</summary>
    public RedisKey StoredJob(string jobId) => _instance + ForJob(jobId);

    /// <summary>A job's coordination lease of the given kind (<c>fetch</c>, <c>poll</c>).</summary>
    public RedisKey Lease(string kind, string jobId) => _instance + "lease:" + kind + ":" + _prefix + jobId;

    /// <summary>
    /// A running job's shared answer: a plain string beside the stored entry's hash, so one SET with an expiry in
    /// milliseconds writes it and one GET reads it.
    /// </summary>
    public RedisKey Running(string jobId) => _instance + "running:" + _prefix + jobId;

    /// <summary>
    /// The replicas that may give a running job's answer on a lease (<c>Jobs:RunningAnswerLease</c>): a set of
    /// <c>origin/lease-ms</c>, expiring a second after the last lease taken.
    /// </summary>
    public RedisKey RunningHolders(string jobId) => _instance + "running:holders:" + _prefix + jobId;

    /// <summary>A team's upstream calls on one UTC day (yyyyMMdd), shared by the replicas.</summary>
    public RedisKey Quota(string team, string day) => _instance + "quota:" + _prefix + team + ":" + day;

    /// <summary>Who created a job or a file (the ownership ledger): one string per id, expiring with its retention.</summary>
    public RedisKey Owner(Ownership.OwnedKind kind, string id) =>
        _instance + (kind == Ownership.OwnedKind.Job ? "owner:job:" : "owner:file:") + _prefix + id;

    /// <summary>
    /// One replica's proof that Redis still holds what it recorded: written after its records, so a Redis that comes
    /// back without it lost them too.
    /// </summary>
    public RedisKey OwnerMark(string replica) => _instance + "owner:mark:" + _prefix + replica;

    /// <summary>
    /// A team's creation as its SDK retries recognise it (route and body, hashed): in flight, then its answer for
    /// <c>Creations:RetryWindow</c>.
    /// </summary>
    public RedisKey CreationRetry(string team, string fingerprint) => _instance + "creation:retry:" + _prefix + team + ":" + fingerprint;

    /// <summary>A team's <c>Idempotency-Key</c> (hashed: the key is the caller's and may be anything): in flight, then its answer.</summary>
    public RedisKey CreationIdempotency(string team, string keyHash) => _instance + "creation:idem:" + _prefix + team + ":" + keyHash;

    /// <summary>What an upload's document is (its content hash, <see cref="Creations.UploadContentHash"/>), per team and file id.</summary>
    public RedisKey ReuseFile(string team, string fileId) => _instance + "reuse:file:" + _prefix + team + ":" + fileId;

    /// <summary>The reuse key a job was created under, until the job is over (or past Reducto's retention).</summary>
    public RedisKey ReuseJob(string jobId) => _instance + "reuse:job:" + _prefix + jobId;

    /// <summary>A team's Completed job for one reuse key, while its result can still be served.</summary>
    public RedisKey ReuseCompleted(string team, string reuseKey) => _instance + "reuse:done:" + _prefix + team + ":" + reuseKey;

    /// <summary>The deployment's usage counts for one minute ("m") or hour ("h") since the Unix epoch.</summary>
    public RedisKey Usage(string span, long index) => _instance + "usage:" + span + ":" + _prefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The deployment's job-read latency histograms for one minute since the Unix epoch (the operations view).</summary>
    public RedisKey UsageLatency(long minute) => Usage("latency-m", minute);

    /// <summary>
    /// That a job's credits are booked (credits ledger), for <c>Credits:BookedRetention</c>. Every credits key carries
    /// one hash tag, so the booking script's keys share a slot on Redis Cluster.
    /// </summary>
    public RedisKey CreditsBooked(string jobId) => _instance + CreditsTag + "booked:" + jobId;

    /// <summary>Every team's credits, pages and jobs booked on one UTC day (yyyyMMdd), per key id; kept for months.</summary>
    public RedisKey CreditsDay(string day) => _instance + CreditsTag + "day:" + day;

    /// <summary>Every team's credits, pages and jobs booked in one UTC month (yyyyMM), per key id; kept for months.</summary>
    public RedisKey CreditsMonth(string month) => _instance + CreditsTag + "month:" + month;

    /// <summary>Every team's credits booked in one minute since the Unix epoch, for the last hour's figures; kept two hours.</summary>
    public RedisKey CreditsMinute(long minute) => _instance + CreditsTag + "minute:" + minute.ToString(CultureInfo.InvariantCulture);

    /// <summary>One replica's proof that Redis still holds the bookings it sent (the credits ledger's counterpart of <see cref="OwnerMark"/>).</summary>
    public RedisKey CreditsMark(string replica) => _instance + CreditsTag + "mark:" + replica;

    /// <summary>The hash in which each replica of this deployment writes its long-polling counts (the operations view).</summary>
    public RedisKey ReplicaActivity => _instance + "replicas:activity:" + NoticeChannelName;

    /// <summary>The sorted set in which the replicas of this deployment stamp themselves.</summary>
    public RedisKey Census => _instance + "replicas:" + NoticeChannelName;

    /// <summary>The channel on which replicas of this deployment tell each other about jobs.</summary>
    public RedisChannel NoticeChannel => RedisChannel.Literal(_instance + NoticeChannelName);

    private string NoticeChannelName => "notices:" + _prefix;

    private string CreditsTag => "credits:{" + _prefix + "}:";

    private static string Fingerprint(UpstreamOptions options)
    {
        var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey ?? string.Empty));
        var material = options.BaseUrl.AbsoluteUri.TrimEnd('/') + "\n" + Convert.ToHexString(keyHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)).AsSpan(0, 8));
    }
}
