using System.Net.Http.Headers;
using System.Text.Json;
using Reducto.StandIn;

namespace Gateway.Tests.StandIn;

/// <summary><c>pending-&lt;size&gt;-*</c>: a Pending job whose body has the size a benchmark asks for.</summary>
public sealed class StandInPendingSizeTests
{
    [Theory]
    [InlineData("pending-2k-x", 2048)]
    [InlineData("pending-64k-x", 65536)]
    public async Task ASizedPendingJob_IsPendingJson_OfThatSize(string id, int size)
    {
        await using var standIn = await StandInServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = standIn.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stand-in-key");

        var body = await client.GetByteArrayAsync("/job/" + id, TestContext.Current.CancellationToken);

        Assert.Equal(size, body.Length);
        Assert.Equal("Pending", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
    }
}
