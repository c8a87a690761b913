using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Jobs;
using Gateway.Ownership;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Reducto.StandIn;
using static Gateway.Tests.Credits.CreditsTestKit;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>
/// A span of a deployment's life on one fake clock: three replicas over one Redis and the stand-in, three teams with
/// several keys each, and traffic drawn from a seed. Steps run one at a time at their planned gateway time, so each
/// replica's upstream budget (which refills by that clock) has a token for each. The traffic remembers who created
/// each job and at what gateway time the job's end was learned; the stand-in's bill says what each job cost.
/// </summary>
internal sealed class ReconciliationTraffic : IAsyncDisposable
{
    public const decimal PerPageWhenUnpriced = 1.5m;

    private const string WebhookSecret = "reconciliation-webhook-secret";

    // Steps that wait on work behind an answer (a watcher, a webhook's read, a synchronous booking) move the clock a
    // second at a time until it is done; no step is planned this close to midnight, so that work stays on its day.
    private static readonly TimeSpan QuietAroundMidnight = TimeSpan.FromMinutes(10);

    private static readonly Dictionary<string, string[]> TeamKeys = new(StringComparer.Ordinal)
    {
        ["ingest"] = ["batch", "portal", "cron"],
        ["search"] = ["indexer", "reindex"],
        ["billing"] = ["main", "audit"],
    };

    private static readonly string[] AsyncRoutes = ["/parse_async", "/extract_async", "/split_async"];
    private static readonly string[] SyncRoutes = ["/parse", "/extract", "/classify"];

    private readonly RedisServer _redis;
    private readonly Random _random;
    private readonly List<(DateTimeOffset At, int Order, Func<Task> Run)> _steps = [];
    private readonly Dictionary<string, (string Team, string KeyId)> _owners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _learned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _booked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _mix = new(StringComparer.Ordinal);
    private int _bodies;

    private ReconciliationTraffic(RedisServer redis, ReplicaSet set, FakeTimeProvider clock, int seed)
    {
        _redis = redis;
        Set = set;
        Clock = clock;
        _random = new Random(seed);
        foreach (var replica in set.Replicas)
        {
            replica.Services.GetRequiredService<CreditLedger>().Booked += booking => _booked[booking.JobId] = 0;
        }
    }

    public ReplicaSet Set { get; }

    public FakeTimeProvider Clock { get; }

    public StandInServer Upstream => Set.Upstream;

    /// <summary>Each team's key ids.</summary>
    public static IReadOnlyDictionary<string, string[]> Teams => TeamKeys;

    public static async Task<ReconciliationTraffic> StartAsync(RedisServer redis, DateTimeOffset start, int seed)
    {
        var settings = CreditSettings(new Dictionary<string, string?>
        {
            ["Credits:PerPageWhenUnpriced"] = PerPageWhenUnpriced.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Webhooks:Secret"] = WebhookSecret,
        });
        foreach (var (team, keyIds) in TeamKeys)
        {
            foreach (var keyId in keyIds)
            {
                settings[$"Teams:{team}:Keys:{keyId}:Key"] = KeyOf(team, keyId);
            }
        }

        var clock = new FakeTimeProvider(start);
        var set = await ReplicaSet.StartAsync(3, redis.ConnectionString, settings, clock);

        // Created jobs run until a step says how they ended; synchronous ones are over at once.
        set.Upstream.Options.PendingFor = TimeSpan.FromDays(365);
        return new ReconciliationTraffic(redis, set, clock, seed);
    }

    public static string KeyOf(string team, string keyId) => $"recon-{team}-{keyId}-key-0001";

    /// <summary>Who created each job the traffic made, and when the gateway learned it was over (its time).</summary>
    public IReadOnlyDictionary<string, (string Team, string KeyId)> Owners => _owners;

    public IReadOnlyDictionary<string, DateTimeOffset> Learned => _learned;

    /// <summary>How many times each kind of traffic ran, so a test can show its seed drew every kind.</summary>
    public IReadOnlyDictionary<string, int> Mix => _mix;

    /// <summary>
    /// Plans <paramref name="jobs"/> jobs created between <paramref name="from"/> and <paramref name="to"/>, plus two
    /// around each midnight in between: one learned over a second before it, one a second after.
    /// </summary>
    public void Plan(DateTimeOffset from, DateTimeOffset to, int jobs)
    {
        var span = to - from - TimeSpan.FromHours(1);
        for (var i = 0; i < jobs; i++)
        {
            var created = Quiet(from + span * _random.NextDouble());
            var (team, keyId) = AnyKey();
            switch (_random.Next(10))
            {
                case < 2:
                    PlanSynchronous(created, team, keyId, to);
                    break;
                default:
                    PlanAsync(created, team, keyId, to);
                    break;
            }
        }

        for (var midnight = from.Date.AddDays(1); midnight < to; midnight = midnight.AddDays(1))
        {
            var at = new DateTimeOffset(midnight, TimeSpan.Zero);
            PlanMidnight(at - TimeSpan.FromMinutes(20), at - TimeSpan.FromSeconds(1));
            PlanMidnight(at - TimeSpan.FromMinutes(15), at + TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Plans a Redis restart that comes back with no data, then waits until every figure and owner is back.</summary>
    public void PlanRedisRestart(DateTimeOffset at, Func<Task<bool>> figuresAreBack) => Add(at, async () =>
    {
        await _redis.StopAsync();
        await _redis.StartAsync();
        var owners = Set.Replicas.Select(static r => r.Services.GetRequiredService<OwnershipLedger>()).ToArray();
        await DriveUntilAsync(async () =>
        {
            foreach (var id in _owners.Keys)
            {
                foreach (var ledger in owners)
                {
                    if (await ledger.FindAsync(OwnedKind.Job, id) is null)
                    {
                        return false;
                    }
                }
            }

            return await figuresAreBack();
        }, TimeSpan.FromMilliseconds(250), "the replicas put their owners and bookings back into the empty Redis");
    });

    /// <summary>Runs every planned step in time order, each at its planned time or a second after the one before.</summary>
    public async Task RunAsync()
    {
        foreach (var (at, _, run) in _steps.OrderBy(static s => s.At).ThenBy(static s => s.Order))
        {
            var now = Clock.GetUtcNow();
            Clock.SetUtcNow(at > now + TimeSpan.FromSeconds(1) ? at : now + TimeSpan.FromSeconds(1));
            await run();
        }

        _steps.Clear();
    }

    public async Task<JsonDocument> GetJsonAsync(string path, string key)
    {
        using var response = await AnyClient().SendAsync(Request(HttpMethod.Get, path, key), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
    }

    public async Task<string> GetTextAsync(string path, string key)
    {
        using var response = await AnyClient().SendAsync(Request(HttpMethod.Get, path, key), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    public async ValueTask DisposeAsync() => await Set.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private void PlanAsync(DateTimeOffset created, string team, string keyId, DateTimeOffset end)
    {
        var job = new Job(team, keyId);
        var route = AsyncRoutes[_random.Next(AsyncRoutes.Length)];
        var replay = _random.Next(4);
        if (_random.Next(5) == 0)
        {
            // An upload first, then a parse of its reducto:// id, possibly through another of the team's keys.
            string? file = null;
            Add(created - TimeSpan.FromMinutes(2), async () => file = await UploadAsync(AnyClient(), Key(Count(job, "upload"))));
            Add(created, async () => await CreateAsync(job, route, () => "{\"input\":\"" + file + "\"}", replay));
        }
        else
        {
            var body = "{\"input\":\"https://example.com/recon-" + Interlocked.Increment(ref _bodies) + ".pdf\"}";
            Add(created, async () => await CreateAsync(job, route, () => body, replay));
        }

        var polled = created;
        for (var i = _random.Next(3); i > 0; i--)
        {
            polled = Quiet(polled + Minutes(1, 9));
            Add(polled, () => ReadAsync(job, expectOver: false));
        }

        var ended = Quiet(polled + Minutes(5, 170));
        var outcome = Outcome(job);
        switch (_random.Next(3))
        {
            case 0:
                Add(ended, async () =>
                {
                    outcome();
                    await ReadAsync(Count(job, "plain read"), expectOver: true);
                    Learn(job);
                });
                break;
            case 1:
                Add(ended, () => WaitForEndAsync(Count(job, "Prefer: wait"), outcome));
                break;
            default:
                Add(ended, () => NotifyAsync(Count(job, "webhook"), outcome));
                break;
        }

        PlanHits(job, ended, end);
    }

    private void PlanSynchronous(DateTimeOffset created, string team, string keyId, DateTimeOffset end)
    {
        var job = new Job(team, keyId);
        var route = SyncRoutes[_random.Next(SyncRoutes.Length)];
        var idempotencyKey = _random.Next(2) == 0 ? Guid.NewGuid().ToString() : null;
        var body = "{\"input\":\"https://example.com/sync-" + Interlocked.Increment(ref _bodies) + ".pdf\"}";
        Add(created, async () =>
        {
            job.Id = await CreateOnceAsync(Count(job, "synchronous"), route, body, idempotencyKey);
            await DriveUntilAsync(() => _booked.ContainsKey(job.Id), "the synchronous job's read behind its answer booked it");
            Learn(job);
        });
        if (idempotencyKey is not null)
        {
            Add(created + TimeSpan.FromSeconds(30), () => ReplayAsync(job, route, body, idempotencyKey));
        }

        PlanHits(job, created, end);
    }

    // A job created at its time and learned over by a plain read at exactly another: the day it lands on is the second's.
    private void PlanMidnight(DateTimeOffset created, DateTimeOffset ended)
    {
        var (team, keyId) = AnyKey();
        var job = new Job(team, keyId);
        var body = "{\"input\":\"https://example.com/midnight-" + Interlocked.Increment(ref _bodies) + ".pdf\"}";
        Add(created, async () => await CreateAsync(job, "/parse_async", () => body, replay: 0));
        var outcome = Outcome(job);
        Add(ended, async () =>
        {
            Assert.Equal(ended, Clock.GetUtcNow());
            outcome();
            await ReadAsync(job, expectOver: true);
            Learn(job);
        });
    }

    private void PlanHits(Job job, DateTimeOffset ended, DateTimeOffset end)
    {
        for (var i = _random.Next(4); i > 0; i--)
        {
            var at = ended + Minutes(1, 300);
            if (at < end - TimeSpan.FromMinutes(5))
            {
                Add(Quiet(at), () => ReadAsync(Count(job, "read after the end"), expectOver: true));
            }
        }
    }

    /// <summary>How the job ends, drawn now and scripted into the stand-in when its step runs.</summary>
    private Action Outcome(Job job)
    {
        var roll = _random.Next(10);
        var pages = _random.Next(1, 41);
        var credits = Math.Round(_random.Next(1, 200_000) / 1000m, 3);
        return () => Upstream.Script.Respond(job.Id, 200, roll switch
        {
            0 => "{\"status\":\"Failed\",\"reason\":\"The document could not be opened.\",\"result\":null}",
            < 3 => CompletedBody(Count(job, "unpriced").Id, pages, credits: null),
            _ => CompletedBody(job.Id, pages, credits),
        });
    }

    /// <param name="replay">0: none; 1: an SDK retry of the same body; 2 or more: the same Idempotency-Key again.</param>
    private async Task CreateAsync(Job job, string route, Func<string> body, int replay)
    {
        var idempotencyKey = replay >= 2 ? Guid.NewGuid().ToString() : null;
        var sent = body();
        job.Id = await CreateOnceAsync(job, route, sent, idempotencyKey);
        if (replay > 0)
        {
            await ReplayAsync(job, route, sent, idempotencyKey);
        }
    }

    // A repeat a moment later through any replica and any of the team's keys: answered with the same job, and
    // nothing reaches the stand-in.
    private async Task ReplayAsync(Job job, string route, string body, string? idempotencyKey)
    {
        Clock.Advance(TimeSpan.FromSeconds(1));
        Count(job, idempotencyKey is null ? "SDK retry" : "Idempotency-Key replay");
        var creations = Upstream.Creations.Count;
        using var request = CreationRequest(route, Key(job), body, idempotencyKey);
        if (idempotencyKey is null)
        {
            request.Headers.Add("x-stainless-retry-count", "1");
        }

        Assert.Equal(job.Id, await JobIdAsync(request));
        Assert.Equal(creations, Upstream.Creations.Count);
    }

    private async Task<string> CreateOnceAsync(Job job, string route, string body, string? idempotencyKey)
    {
        using var request = CreationRequest(route, KeyOf(job.Team, job.KeyId), body, idempotencyKey);
        var id = await JobIdAsync(request);
        _owners.Add(id, (job.Team, job.KeyId));
        return id;
    }

    private static HttpRequestMessage CreationRequest(string route, string key, string body, string? idempotencyKey)
    {
        var request = Request(HttpMethod.Post, route, key, Json(body));
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private async Task<string> JobIdAsync(HttpRequestMessage request)
    {
        using var response = await AnyClient().SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        return json.RootElement.GetProperty("job_id").GetString()!;
    }

    private async Task ReadAsync(Job job, bool expectOver, HttpClient? client = null, string? prefer = null)
    {
        using var request = Request(HttpMethod.Get, "/job/" + job.Id, Key(job));
        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        using var response = await (client ?? AnyClient()).SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var status = json.RootElement.GetProperty("status").GetString();
        Assert.True(expectOver == status is "Completed" or "Failed", $"job {job.Id} read {status} at {Clock.GetUtcNow():O}");
    }

    // A caller waits with Prefer: wait; the job ends while it waits; the replica's watcher learns it on a later poll.
    private async Task WaitForEndAsync(Job job, Action outcome)
    {
        var replica = _random.Next(Set.Replicas.Count);
        var watcher = Set.Replicas[replica].Services.GetRequiredService<JobWatcher>();
        var waiting = ReadAsync(job, expectOver: true, Set.Clients[replica], "wait=60");
        await Eventually.Until(() => watcher.Waiting == 1 || waiting.IsCompleted, because: "the caller is waiting on the replica's watch");
        outcome();
        await DriveUntilAsync(() => waiting.IsCompleted, "the watcher's poll saw the job end");
        await waiting;
        Learn(job);
    }

    // Reducto's webhook reaches one replica, which reads the job once; nobody else has read it over yet.
    private async Task NotifyAsync(Job job, Action outcome)
    {
        outcome();
        using var notifier = Set.Replicas[_random.Next(Set.Replicas.Count)].CreateClient(gatewayKey: null);
        using var delivered = await notifier.PostAsync("/webhooks/reducto?secret=" + WebhookSecret,
            new StringContent($$"""{"status":"Completed","job_id":"{{job.Id}}"}""", Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        await DriveUntilAsync(() => Upstream.Served.Job(job.Id) is { } served && (served.Status == "Failed" || _booked.ContainsKey(job.Id)),
            "the notified replica read the finished job");
        Learn(job);
    }

    private Job Count(Job job, string kind)
    {
        _mix.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        return job;
    }

    private void Learn(Job job)
    {
        var now = Clock.GetUtcNow();
        Assert.True(Distance(now) >= TimeSpan.FromSeconds(1), $"job {job.Id} was learned over {now:O}, too near midnight to say which day");
        _learned[job.Id] = now;
    }

    private Task DriveUntilAsync(Func<bool> done, string because) => DriveUntilAsync(() => Task.FromResult(done()), TimeSpan.FromSeconds(1), because);

    // Moves the clock a step each time the condition is not met yet: the budget refills and the watchers poll.
    private async Task DriveUntilAsync(Func<Task<bool>> done, TimeSpan step, string because)
    {
        var from = Clock.GetUtcNow();
        await Eventually.Until(async () =>
        {
            if (await done())
            {
                return true;
            }

            Clock.Advance(step);
            return false;
        }, TimeSpan.FromSeconds(20), because);
        Assert.True(Clock.GetUtcNow() - from < QuietAroundMidnight / 2, $"{because} took {Clock.GetUtcNow() - from} of gateway time");
    }

    private void Add(DateTimeOffset at, Func<Task> run) => _steps.Add((at, _steps.Count, run));

    private HttpClient AnyClient() => Set.Clients[_random.Next(Set.Clients.Count)];

    // Any of the job's team's keys: they read each other's jobs as one team.
    private string Key(Job job) => KeyOf(job.Team, _random.Next(3) == 0 ? TeamKeys[job.Team][_random.Next(TeamKeys[job.Team].Length)] : job.KeyId);

    private (string Team, string KeyId) AnyKey()
    {
        var team = TeamKeys.Keys.ElementAt(_random.Next(TeamKeys.Count));
        return (team, TeamKeys[team][_random.Next(TeamKeys[team].Length)]);
    }

    private TimeSpan Minutes(int min, int max) => TimeSpan.FromSeconds(_random.Next(min * 60, max * 60));

    private static DateTimeOffset Quiet(DateTimeOffset at) => Distance(at) < QuietAroundMidnight ? at + 2 * QuietAroundMidnight : at;

    private static TimeSpan Distance(DateTimeOffset at)
    {
        var sinceMidnight = at.UtcDateTime.TimeOfDay;
        return sinceMidnight < TimeSpan.FromHours(12) ? sinceMidnight : TimeSpan.FromDays(1) - sinceMidnight;
    }

    private sealed class Job(string team, string keyId)
    {
        public string Team => team;

        public string KeyId => keyId;

        public string Id { get; set; } = string.Empty;
    }
}
