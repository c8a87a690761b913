using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Creations;

/// <summary>Creating calls as the SDKs send them: a JSON body, an attempt number, optionally a key and a stand-in delay.</summary>
internal static class CreationTestKit
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static HttpRequestMessage Parse(
        string body, int? retryCount = null, string? idempotencyKey = null, int? delayMs = null, string key = GatewayFactory.TeamAKey, string path = "/parse_async")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (retryCount is { } count)
        {
            request.Headers.Add("x-stainless-retry-count", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (delayMs is { } delay)
        {
            request.Headers.Add("x-standin-delay-ms", delay.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return request;
    }

    /// <summary>A body no other test sends.</summary>
    public static string NewBody() => "{\"input\":\"https://example.com/" + Guid.NewGuid().ToString("N") + ".pdf\"}";

    public static async Task<(HttpResponseMessage Response, string JobId)> JobAsync(Task<HttpResponseMessage> sending)
    {
        var response = await sending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (response, json.RootElement.GetProperty("job_id").GetString()!);
    }

    /// <summary>
    /// Sends <paramref name="first"/> (which the stand-in holds), and once the stand-in has created its job sends
    /// <paramref name="repeat"/>; returns the first's job and the repeat's answer and job.
    /// </summary>
    public static async Task<(string Job, HttpResponseMessage Repeat, string Repeated)> RepeatWhileInFlightAsync(
        Reducto.StandIn.StandInServer upstream, HttpClient firstClient, HttpRequestMessage first, HttpClient repeatClient, HttpRequestMessage repeat)
    {
        var sending = JobAsync(firstClient.SendAsync(first, TestContext.Current.CancellationToken));
        await Eventually.Until(() => upstream.Creations.Count == 1, because: "the first request reached the upstream");
        var (answer, repeated) = await JobAsync(repeatClient.SendAsync(repeat, TestContext.Current.CancellationToken));
        var (_, job) = await sending;
        return (job, answer, repeated);
    }

    public static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues(ReplayedHeader, out var values) && values.Single() == "true";
}
