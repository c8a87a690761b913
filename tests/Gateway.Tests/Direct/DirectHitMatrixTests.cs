using System.Diagnostics;
using Xunit.Sdk;

namespace Gateway.Tests.Direct;

public enum KeyState { Valid, Unknown, Expired, Revoked, Missing, TwoHeaders }

public enum Conditional { None, RightIdentityETag, RightGzipETag, WrongETag, Star }

/// <summary>One request of the matrix, named as its failure message names it.</summary>
public sealed record MatrixCell(string Unowned, MatrixTeam Team, KeyState Key, MatrixJob Job, string Method, string? Encoding, Conditional Conditional)
{
    public override string ToString() =>
        $"[UnownedJobs={Unowned}, team={Team}, key={Key}, job={Job}, {Method}, Accept-Encoding={Encoding ?? "(none)"}, conditional={Conditional}]";
}

/// <summary>
/// The direct path against the pipeline over the whole matrix of what a read of <c>GET /job/{id}</c> can be: key state,
/// scope, ownership, quota and ceiling, encoding, conditional, method and job state. Every cell is one request sent to
/// both gateways of a pair, and the pipeline's answer is the expectation the direct path's answer must equal byte for
/// byte (<see cref="Parity"/>). A rule added to one path and not the other fails the cells it decides.
/// </summary>
public sealed class DirectHitMatrixTests(MatrixGateways fixture) : IClassFixture<MatrixGateways>
{
    private const int Seed = 20261207;

    private static readonly string?[] Encodings = [null, "gzip", "gzip;q=0", "*", "identity", "br"];

    public static MatrixJob[] Jobs { get; } =
    [
        .. from relation in new[] { Relation.Own, Relation.ReadsJobsOf, Relation.Other }
           from kind in Enum.GetValues<JobKind>().Where(static k => k != JobKind.Unknown)
           select new MatrixJob(relation, kind),
        .. from kind in Enum.GetValues<JobKind>().Where(static k => k is not (JobKind.Unknown or JobKind.Created))
           select new MatrixJob(Relation.Unowned, kind),
        new MatrixJob(Relation.Unowned, JobKind.Unknown),
    ];

    // Encoding-and-conditional pairs per combination of the other dimensions, of the 30 there are: every one for a valid
    // key (the whole product), a sample for the refused keys, which are decided before the job is looked at.
    private static int ShapesPerCombination(KeyState key) => key == KeyState.Valid ? 30 : 2;

    /// <summary>
    /// Every combination of mode, team, key state, job and method, each with <see cref="ShapesPerCombination"/>
    /// encoding-and-conditional pairs drawn in turn from a seeded shuffle of all of them, so each pair is met as often as any other.
    /// </summary>
    public static IReadOnlyList<MatrixCell> Cells()
    {
        var random = new Random(Seed);
        var shapes = (from encoding in Encodings from conditional in Enum.GetValues<Conditional>() select (encoding, conditional)).ToArray();
        var cells = (from unowned in new[] { "Deny", "Shared" }
                     from team in MatrixGateways.Teams
                     from key in Enum.GetValues<KeyState>()
                     from job in Jobs
                     from method in new[] { "GET", "HEAD" }
                     select (unowned, team, key, job, method)).ToArray();
        random.Shuffle(cells);
        var result = new List<MatrixCell>();
        var drawn = 0;
        foreach (var (unowned, team, key, job, method) in cells)
        {
            for (var i = 0; i < ShapesPerCombination(key); i++, drawn++)
            {
                if (drawn % shapes.Length == 0)
                {
                    random.Shuffle(shapes);
                }

                var (encoding, conditional) = shapes[drawn % shapes.Length];
                result.Add(new MatrixCell(unowned, team, key, job, method, encoding, conditional));
            }
        }

        return result;
    }

    [Fact]
    public async Task EveryCell_IsAnsweredByTheDirectPath_AsThePipelineAnswersIt()
    {
        var cells = Cells();
        var failures = new List<string>();
        var seen = new Dictionary<string, int>();
        var elapsed = Stopwatch.StartNew();
        foreach (var (mode, pair) in new[] { ("Deny", fixture.Deny), ("Shared", fixture.Shared) })
        {
            await using var reference = new Lane(pair.Reference);
            await using var direct = new Lane(pair.Direct);
            foreach (var cell in cells.Where(c => c.Unowned == mode))
            {
                var request = Request(pair, cell);

                var (expected, actual) = await AskBothAsync(reference, direct, request, cell);
                var outcome = $"{actual.Status} {actual.Header("Cache-Status")}";
                seen[outcome] = seen.GetValueOrDefault(outcome) + 1;
                try
                {
                    Parity.AssertSameAnswer(expected, actual, cell.ToString());
                }
                catch (XunitException exception)
                {
                    failures.Add(exception.Message);
                }
            }
        }

        var outcomes = string.Join("\n", seen.OrderBy(static o => o.Key, StringComparer.Ordinal).Select(static o => $"  {o.Value,5} {o.Key}"));
        TestContext.Current.TestOutputHelper?.WriteLine($"{cells.Count} cells in {elapsed.Elapsed.TotalSeconds:F1} s; direct answers:\n{outcomes}");
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {cells.Count} cells differ between the paths; the first ones:\n{string.Join("\n\n", failures.Take(8))}");

        // A matrix whose jobs were never stored, or whose keys all fail, would agree with itself and prove nothing.
        Assert.All(new[] { "200 Gateway; hit", "304 Gateway; hit", "401 ", "403 ", "404 ", "429 " },
            outcome => Assert.Contains(seen.Keys, o => o.StartsWith(outcome, StringComparison.Ordinal)));
    }

    // A team with a ceiling of one a second is past it by the third of three requests sent at once, unless its bucket's
    // refill (each gateway's own, on its own timer) falls just before the third: then only that gateway lets it through,
    // so a disagreement on the refusal alone is asked again, and a path that ignores the ceiling still disagrees every time.
    private static async Task<(WireResponse Expected, WireResponse Actual)> AskBothAsync(Lane reference, Lane direct, string request, MatrixCell cell)
    {
        var head = cell.Method == "HEAD";
        if (!cell.Team.Limited)
        {
            return (await reference.AskAsync(request, 1, head), await direct.AskAsync(request, 1, head));
        }

        WireResponse expected, actual;
        var attempts = 0;
        do
        {
            expected = await reference.AskAsync(request, 3, head);
            actual = await direct.AskAsync(request, 3, head);
        }
        while (++attempts < 3 && (expected.Status == 429) != (actual.Status == 429));

        return (expected, actual);
    }

    private static string Request(MatrixPair pair, MatrixCell cell)
    {
        var id = pair.JobId(cell.Job, cell.Team);
        var headers = new List<string>();
        var key = cell.Key switch
        {
            KeyState.Valid or KeyState.TwoHeaders => cell.Team.ValidKey,
            KeyState.Unknown => MatrixGateways.UnknownKey,
            KeyState.Expired => cell.Team.ExpiredKey,
            KeyState.Revoked => cell.Team.RevokedKey,
            _ => null,
        };
        if (cell.Key == KeyState.TwoHeaders)
        {
            headers.Add("Authorization: Bearer " + cell.Team.ValidKey);
        }

        if (cell.Encoding is { } encoding)
        {
            headers.Add("Accept-Encoding: " + encoding);
        }

        var (identity, gzip) = pair.ETags(id);
        var condition = cell.Conditional switch
        {
            Conditional.RightIdentityETag => identity ?? "\"no-etag\"",
            Conditional.RightGzipETag => gzip ?? "\"no-etag\"",
            Conditional.WrongETag => "\"0123456789abcdef\"",
            Conditional.Star => "*",
            _ => null,
        };
        if (condition is not null)
        {
            headers.Add("If-None-Match: " + condition);
        }

        return WireConnection.Request(cell.Method, "/job/" + id, key, [.. headers]);
    }

    /// <summary>One gateway's connection, reused from cell to cell and opened again after the server closes it.</summary>
    private sealed class Lane(GatewayHost gateway) : IAsyncDisposable
    {
        private WireConnection? _connection;

        /// <summary>Sends the request <paramref name="repeat"/> times in one write and answers the last response.</summary>
        public async Task<WireResponse> AskAsync(string request, int repeat, bool head)
        {
            _connection ??= await gateway.ConnectAsync();
            await _connection.SendAsync([.. Enumerable.Repeat(request, repeat)]);
            WireResponse response = null!;
            for (var i = 0; i < repeat; i++)
            {
                response = await _connection.ReadResponseAsync(head);
                if (string.Equals(response.Header("Connection"), "close", StringComparison.OrdinalIgnoreCase))
                {
                    await _connection.DisposeAsync();
                    _connection = null;
                    break;
                }
            }

            return response;
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }
}
