using System.Security.Cryptography;
using System.Text;
using Gateway.Upstream;
using Microsoft.Extensions.Options;

namespace Gateway.Caching;

/// <summary>
/// Cache keys carry a fingerprint of the upstream (its address and a hash of the server key), so two deployments
/// sharing one Redis never serve each other's jobs, and rotating the key starts a fresh keyspace.
/// </summary>
internal sealed class CacheKeys(IOptions<UpstreamOptions> upstream, IOptions<CacheOptions> cache)
{
    private readonly string _prefix = "job:v2:" + Fingerprint(upstream.Value) + ":";

    public string ForJob(string jobId) => _prefix + jobId;

    /// <summary>A job's coordination lease of the given kind, in the same keyspace as its cached response.</summary>
    public string LeaseFor(string kind, string jobId) => "lease:" + kind + ":" + _prefix + jobId;

    /// <summary>The Redis key (instance prefix included) of a team's upstream calls on one UTC day (yyyyMMdd), shared by the replicas.</summary>
    public string QuotaFor(string team, string day) => cache.Value.InstanceName + "quota:" + _prefix + team + ":" + day;

    /// <summary>The Redis key (instance prefix included) of the deployment's usage counts for one minute ("m") or hour ("h") since the Unix epoch.</summary>
    public string UsageFor(string span, long index) =>
        cache.Value.InstanceName + "usage:" + span + ":" + _prefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The Redis key (instance prefix included) of a running job's shared answer. A plain string beside the
    /// response cache's hash, so one SET with an expiry in milliseconds writes it and one GET reads it.
    /// </summary>
    public string RunningKey(string jobId) => cache.Value.InstanceName + "running:" + _prefix + jobId;

    /// <summary>The channel on which replicas of this deployment tell each other about jobs.</summary>
    public string NoticeChannel => "notices:" + _prefix;

    private static string Fingerprint(UpstreamOptions options)
    {
        var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.ApiKey ?? string.Empty));
        var material = options.BaseUrl.AbsoluteUri.TrimEnd('/') + "\n" + Convert.ToHexString(keyHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)).AsSpan(0, 8));
    }
}
