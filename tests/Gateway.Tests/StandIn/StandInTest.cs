using System.Net.Http.Headers;
using System.Text.Json;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary>A stand-in of its own per test, and a client that sends it the key it expects.</summary>
public abstract class StandInTest : IAsyncLifetime
{
    protected StandInServer StandIn { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    protected virtual StandInOptions Options => new();

    public async ValueTask InitializeAsync()
    {
        StandIn = await StandInServer.StartAsync(Options, cancellationToken: Cancel);
        Client = new HttpClient { BaseAddress = StandIn.BaseAddress };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stand-in-key");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StandIn.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<JsonDocument> PostJsonAsync(string path, string body, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, MediaTypeHeaderValue.Parse("application/json")) };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await Client.SendAsync(request, Cancel);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(Cancel));
    }

    protected async Task<string> CreateAsync(string path, string body = """{"input":"reducto://x.pdf"}""")
    {
        using var answer = await PostJsonAsync(path, body);
        return answer.RootElement.GetProperty("job_id").GetString()!;
    }

    protected async Task<JsonDocument> GetJsonAsync(string path)
    {
        var body = await Client.GetByteArrayAsync(path, Cancel);
        return JsonDocument.Parse(body);
    }
}
