using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Gateway.Tests.Ownership.OwnershipTestKit;

namespace Gateway.Tests.Credits;

/// <summary>Team A (key id <c>client-key</c>) and team C (key id <c>k</c>) creating jobs through the gateway, and reading what they cost.</summary>
internal static class CreditsTestKit
{
    public const string TeamAKeyId = "client-key";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static Dictionary<string, string?> CreditSettings(IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(Gateway.Tests.Ownership.OwnershipTestKit.Settings("Shared"))
        {
            ["Credits:FlushInterval"] = "00:00:00.200",
            ["Ownership:SyncInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A Completed body in the stand-in's shape, costing what is given (null: Reducto priced nothing).</summary>
    public static string CompletedBody(string jobId, int pages, decimal? credits) =>
        "{\"status\":\"Completed\",\"progress\":1.0,\"num_pages\":" + pages + ",\"result\":{\"response_type\":\"parse\",\"job_id\":\"" + jobId +
        "\",\"usage\":{\"num_pages\":" + pages + ",\"credits\":" + (credits?.ToString(CultureInfo.InvariantCulture) ?? "null") +
        ",\"credit_breakdown\":{}},\"result\":{\"type\":\"full\",\"chunks\":[]}}}";

    /// <summary>Reads a job as <paramref name="key"/>'s team until it is Completed; returns the credits its body names.</summary>
    public static async Task<decimal> ReadUntilCompletedAsync(HttpClient client, string jobId, string key, string? prefer = null)
    {
        decimal? credits = null;
        await Eventually.Until(async () =>
        {
            using var request = Request(HttpMethod.Get, "/job/" + jobId, key);
            if (prefer is not null)
            {
                request.Headers.TryAddWithoutValidation("Prefer", prefer);
            }

            using var response = await client.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
            if (json.RootElement.GetProperty("status").GetString() != "Completed")
            {
                return false;
            }

            credits = json.RootElement.GetProperty("result").GetProperty("usage").GetProperty("credits").GetDecimal();
            return true;
        }, TimeSpan.FromSeconds(20));
        return credits!.Value;
    }

    /// <summary>This month's figures for every team and key, as a replica reports them.</summary>
    public static async Task<Dictionary<(string Team, string KeyId), CreditTally>> MonthAsync(GatewayFactory replica)
    {
        var periods = await replica.Services.GetRequiredService<CreditLedger>().ReadAsync();
        return periods.ToDictionary(static p => (p.Team, p.KeyId), static p => p.ThisMonth);
    }

    public static string Describe(Dictionary<(string Team, string KeyId), CreditTally> figures) =>
        string.Join("; ", figures.Select(static f => $"{f.Key.Team}/{f.Key.KeyId}: {f.Value.Jobs} jobs, {f.Value.Pages} pages, {f.Value.Credits} credits"));
}
