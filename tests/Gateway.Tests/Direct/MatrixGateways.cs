using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Ownership;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Reducto.StandIn;

namespace Gateway.Tests.Direct;

/// <summary>A caller team of the matrix: whether it holds jobs:read, has a daily quota, has a ceiling of one request a second.</summary>
public sealed record MatrixTeam(string Name, bool Reads, bool Quota, bool Limited)
{
    public string ValidKey => Name + "-valid-key-00001";

    public string ExpiredKey => Name + "-expired-key-0002";

    public string RevokedKey => Name + "-revoked-key-0003";

    public override string ToString() => Name;
}

public enum Relation { Own, ReadsJobsOf, Other, Unowned }

public enum JobKind { Created, Done2k, Done64k, Failed, Url, Running, Unknown }

/// <summary>Whose job is read, and in what state.</summary>
public sealed record MatrixJob(Relation Relation, JobKind Kind)
{
    public override string ToString() => Kind == JobKind.Unknown ? "unknown job" : $"{Relation} {Kind}";
}

/// <summary>
/// Two pairs of gateways (each a <see cref="DirectHitGateways"/>-style pair: defaults against <c>Server:DirectHits=false</c>),
/// one pair per <c>Jobs:UnownedJobs</c> mode, in front of one stand-in whose created jobs complete at once, all on one
/// stopped calendar so the quota headers' seconds and a running answer's age agree between the two paths. Every job the
/// matrix reads exists in each pair with the same id through both gateways, is owned alike in both ledgers, and is a
/// memory-tier entry in both (or a running answer shared in both), read there once by an auditor that reads every team's work.
/// </summary>
public sealed class MatrixGateways : IAsyncLifetime
{
    public const string Source = "mx-source";
    public const string Stranger = "mx-stranger";
    public const string Auditor = "mx-auditor";
    public const string UnknownKey = "mx-nobody-knows-this-key-01";

    public static readonly MatrixTeam[] Teams =
    [
        new("mx-read", Reads: true, Quota: false, Limited: false),
        new("mx-noread", Reads: false, Quota: false, Limited: false),
        new("mx-read-quota", Reads: true, Quota: true, Limited: false),
        new("mx-noread-quota", Reads: false, Quota: true, Limited: false),
        new("mx-limited", Reads: true, Quota: false, Limited: true),
    ];

    private static readonly MatrixTeam[] Creators = [new(Source, true, false, false), new(Stranger, true, false, false)];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public TimeProvider Clock { get; } = new StoppedCalendar(DateTimeOffset.UtcNow);

    public StandInServer Upstream { get; private set; } = null!;

    public MatrixPair Deny { get; private set; } = null!;

    public MatrixPair Shared { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Upstream = await StandInServer.StartAsync(new StandInOptions { PendingFor = TimeSpan.Zero }, cancellationToken: Cancel);
        Deny = await MatrixPair.StartAsync("Deny", Upstream, Settings("Deny"), Clock);
        Shared = await MatrixPair.StartAsync("Shared", Upstream, Settings("Shared"), Clock);
    }

    public async ValueTask DisposeAsync()
    {
        if (Deny is not null)
        {
            await Deny.DisposeAsync();
        }

        if (Shared is not null)
        {
            await Shared.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }

    private Dictionary<string, string?> Settings(string unowned)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Jobs:UnownedJobs"] = unowned,

            // The budget refills on the stopped clock: large enough for every miss of the run.
            ["Upstream:JobPollsPerSecond"] = "100000",
            ["Upstream:RequestsPerSecond"] = "100000",
            [$"Teams:{Auditor}:Keys:k:Key"] = Auditor + "-valid-key-00001",
        };
        var everyone = Teams.Concat(Creators).Select(static t => t.Name).ToArray();
        for (var i = 0; i < everyone.Length; i++)
        {
            settings[$"Teams:{Auditor}:ReadsJobsOf:{i}"] = everyone[i];
        }

        foreach (var team in Teams.Concat(Creators))
        {
            var prefix = $"Teams:{team.Name}:";
            settings[prefix + "Keys:valid:Key"] = team.ValidKey;
            settings[prefix + "Keys:expired:Key"] = team.ExpiredKey;
            settings[prefix + "Keys:expired:NotAfter"] = (Clock.GetUtcNow() - TimeSpan.FromDays(1)).ToString("O", CultureInfo.InvariantCulture);
            settings[prefix + "Keys:revoked:Key"] = team.RevokedKey;
            settings[prefix + "Keys:revoked:Disabled"] = "true";
            settings[prefix + "ReadsJobsOf:0"] = Source;
            if (!team.Reads)
            {
                settings[prefix + "Scopes:0"] = "jobs:run";
            }

            if (team.Quota)
            {
                settings[prefix + "UpstreamCallsPerDay"] = "1000";
            }

            if (team.Limited)
            {
                settings[prefix + "RequestsPerSecond"] = "1";
            }
        }

        return settings;
    }

    public static string AuditorKey => Auditor + "-valid-key-00001";

    internal static string OwnerOf(Relation relation, MatrixTeam caller) => relation switch
    {
        Relation.Own => caller.Name,
        Relation.ReadsJobsOf => Source,
        Relation.Other => Stranger,
        _ => throw new ArgumentOutOfRangeException(nameof(relation)),
    };

    internal static IEnumerable<MatrixTeam> Owners => Teams.Concat(Creators);
}

/// <summary>One <c>Jobs:UnownedJobs</c> mode: its two gateways and the jobs they both know.</summary>
public sealed class MatrixPair : IAsyncDisposable
{
    private static readonly JobKind[] Stored = [JobKind.Done2k, JobKind.Done64k, JobKind.Failed, JobKind.Url, JobKind.Running];

    private readonly Dictionary<(string? Owner, JobKind Kind), string> _jobs = [];
    private readonly Dictionary<string, (string? Identity, string? Gzip)> _etags = [];

    private MatrixPair(string mode, GatewayHost direct, GatewayHost reference)
    {
        Mode = mode;
        Direct = direct;
        Reference = reference;
    }

    public string Mode { get; }

    public GatewayHost Direct { get; }

    public GatewayHost Reference { get; }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static async Task<MatrixPair> StartAsync(string mode, StandInServer upstream, IReadOnlyDictionary<string, string?> settings, TimeProvider clock)
    {
        var direct = GatewayHost.Start(upstream, settings, clock);
        var reference = GatewayHost.Start(upstream, new Dictionary<string, string?>(settings) { [DirectHitGateways.DirectHitsSetting] = "false" }, clock);
        var pair = new MatrixPair(mode, direct, reference);
        await pair.PrepareAsync(clock);
        return pair;
    }

    /// <summary>The id the cell reads: the same through both gateways.</summary>
    public string JobId(MatrixJob job, MatrixTeam caller) => job.Kind == JobKind.Unknown
        ? _jobs[(null, JobKind.Unknown)]
        : _jobs[(job.Relation == Relation.Unowned ? null : MatrixGateways.OwnerOf(job.Relation, caller), job.Kind)];

    /// <summary>The job's ETags as the direct gateway's hits carry them (identity, then gzip), or null where it has none.</summary>
    public (string? Identity, string? Gzip) ETags(string jobId) => _etags.GetValueOrDefault(jobId);

    public async ValueTask DisposeAsync()
    {
        await Direct.DisposeAsync();
        await Reference.DisposeAsync();
    }

    private async Task PrepareAsync(TimeProvider clock)
    {
        var directLedger = Direct.Factory.Services.GetRequiredService<OwnershipLedger>();
        var referenceLedger = Reference.Factory.Services.GetRequiredService<OwnershipLedger>();
        foreach (var owner in MatrixGateways.Owners)
        {
            // Created through the direct gateway, which records its owner; the reference gateway learns it as a replica
            // learns another's record. A creation of its own keeps each gateway's quota count alike.
            var created = await CreateAsync(Direct, owner.ValidKey);
            await CreateAsync(Reference, owner.ValidKey);
            var record = await directLedger.FindAsync(OwnedKind.Job, created);
            Assert.NotNull(record);
            await referenceLedger.RecordAsync(OwnedKind.Job, created, record);
            _jobs[(owner.Name, JobKind.Created)] = created;

            // The stand-in's built-in jobs, owned as if created on another replica.
            foreach (var kind in Stored)
            {
                var id = Prefix(kind) + Guid.NewGuid().ToString("N");
                var recorded = new Owner(owner.Name, "valid", "parse_async", clock.GetUtcNow());
                await directLedger.RecordAsync(OwnedKind.Job, id, recorded);
                await referenceLedger.RecordAsync(OwnedKind.Job, id, recorded);
                _jobs[(owner.Name, kind)] = id;
            }
        }

        foreach (var kind in Stored)
        {
            _jobs[(null, kind)] = Prefix(kind) + Guid.NewGuid().ToString("N");
        }

        _jobs[(null, JobKind.Unknown)] = Guid.NewGuid().ToString("N");

        foreach (var ((_, kind), id) in _jobs)
        {
            if (kind != JobKind.Unknown)
            {
                await WarmAsync(id);
            }
        }
    }

    // Read by the auditor through each gateway: a miss, then a hit, then a gzip hit; the direct gateway's ETags are kept.
    private async Task WarmAsync(string id)
    {
        foreach (var gateway in new[] { Reference, Direct })
        {
            await using var connection = await gateway.ConnectAsync();
            var plain = WireConnection.Request("GET", "/job/" + id, MatrixGateways.AuditorKey);
            await connection.SendAsync(plain, plain, WireConnection.Request("GET", "/job/" + id, MatrixGateways.AuditorKey, "Accept-Encoding: gzip"));
            await connection.ReadResponseAsync();
            var identity = await connection.ReadResponseAsync();
            var gzip = await connection.ReadResponseAsync();
            if (gateway == Direct)
            {
                _etags[id] = (identity.Header("ETag"), gzip.Header("ETag"));
            }
        }
    }

    private static async Task<string> CreateAsync(GatewayHost gateway, string key)
    {
        // On a connection of its own: a request with a body hands the rest of its connection to Kestrel.
        using var client = new HttpClient { BaseAddress = gateway.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/parse_async")
        {
            Content = new StringContent("{\"input\":\"https://example.com/doc.pdf\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, $"creating a job with {key}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("job_id").GetString()!;
    }

    private static string Prefix(JobKind kind) => kind switch
    {
        JobKind.Done2k => "done-2k-",
        JobKind.Done64k => "done-64k-",
        JobKind.Failed => "failed-",
        JobKind.Url => "done-url-",
        JobKind.Running => "pending-",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>
/// The date stands still while time runs: what the gateways date (quota resets, key expiry, a running answer's age)
/// reads one instant, so both paths compute the same values, while what they time (the upstream budget's refill, waits,
/// timers) runs on the system's clock, so misses are never held for a token a stopped clock would never bring.
/// </summary>
internal sealed class StoppedCalendar(DateTimeOffset now) : TimeProvider
{
    // The real date: the stand-in dates its jobs now, and the cache keeps nothing that is 12 h old by this calendar.
    public override DateTimeOffset GetUtcNow() => now;
}
