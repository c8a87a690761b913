using System.Net;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Reducto.StandIn;

namespace Gateway.Tests.Auth;

/// <summary>
/// Rotation and revocation without a restart, on a real gateway process reading a key directory (one file per
/// setting, as a Kubernetes Secret mounts them) while a caller keeps using the key that stays.
/// </summary>
public sealed class KeyRotationTests : KeyDirectoryProcessTest
{
    private const string OldKey = "rotation-old-key-000000001";
    private const string NewKey = "rotation-new-key-000000002";
    private const string AddedKey = "rotation-added-key-0000003";

    [Fact]
    public async Task RemovingAKeyFile_RefusesThatKeyWithinSeconds_WhileTheOtherKeyIsNeverRefused()
    {
        WriteKey("old", OldKey);
        WriteKey("new", NewKey);
        await using var gateway = Start();
        using var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)) };
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, OldKey));

        // The caller that moved to the new key keeps reading throughout; not one of its requests may fail.
        using var stop = new CancellationTokenSource();
        var refusedNew = 0;
        var readsWithNew = 0;
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await StatusAsync(client, NewKey) != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref refusedNew);
                }

                Interlocked.Increment(ref readsWithNew);
            }
        }, Cancel);

        File.Delete(KeyFile("old"));
        await Eventually.Until(async () => await StatusAsync(client, OldKey) == HttpStatusCode.Unauthorized, Propagation, "the removed key refused");

        WriteKey("added", AddedKey);
        await Eventually.Until(async () => await StatusAsync(client, AddedKey) == HttpStatusCode.OK, Propagation, "the added key accepted");
        await stop.CancelAsync();
        await loop;

        Assert.Equal(0, refusedNew);
        Assert.True(readsWithNew > 10, $"only {readsWithNew} reads with the remaining key");
    }

    [Fact]
    public async Task MalformedKeyFile_KeepsTheLastGoodKeys_LogsTheError_AndDegradesReadiness()
    {
        WriteKey("good", NewKey);
        await using var gateway = Start();
        using var client = new HttpClient { BaseAddress = await gateway.Listening(TimeSpan.FromSeconds(30)) };

        WriteKey("bad", "short");
        await Eventually.Until(() => gateway.Output.Contains("KeysReloadFailed", StringComparison.Ordinal) ||
            gateway.Output.Contains("Gateway keys not reloaded", StringComparison.Ordinal), Propagation, "the refused reload logged");

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, NewKey));
        Assert.Contains("Teams:team-r:Keys:bad:Key", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(NewKey, gateway.Output, StringComparison.Ordinal);
        using (var ready = await client.GetAsync("/readyz", Cancel))
        {
            using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("Degraded", report.RootElement.GetProperty("status").GetString());
            Assert.Contains(report.RootElement.GetProperty("checks").EnumerateArray(),
                check => check.GetProperty("name").GetString() == "keys" && check.GetProperty("status").GetString() == "Degraded");
        }

        // Fixing the file brings readiness back and the fixed key into force.
        WriteKey("bad", AddedKey);
        await Eventually.Until(async () => await StatusAsync(client, AddedKey) == HttpStatusCode.OK, Propagation, "the mended key accepted");
        using var healthy = await client.GetAsync("/readyz", Cancel);
        using var healthyReport = JsonDocument.Parse(await healthy.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("Healthy", healthyReport.RootElement.GetProperty("status").GetString());
    }

    private GatewayProcess Start() => StartGateway(new() { ["Auth__KeysDirectory"] = KeyDirectory.FullName });

    private static string KeySetting(string keyId) => $"Teams__team-r__Keys__{keyId}__Key";

    private string KeyFile(string keyId) => Path.Combine(KeyDirectory.FullName, KeySetting(keyId));

    private void WriteKey(string keyId, string key) => WriteSetting(KeySetting(keyId), key);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/job/done-2k");
        request.Headers.Authorization = new("Bearer", key);
        using var response = await client.SendAsync(request, Cancel);
        return response.StatusCode;
    }
}
