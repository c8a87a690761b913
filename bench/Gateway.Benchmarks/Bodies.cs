using System.Net.Http.Headers;
using Reducto.StandIn;

namespace Gateway.Benchmarks;

/// <summary>The stand-in's realistic Completed bodies, fetched once from an in-process stand-in.</summary>
internal static class Bodies
{
    public static byte[] Completed(int size)
    {
        var id = size >= 1024 * 1024 ? $"done-{size / (1024 * 1024)}m" : $"done-{size / 1024}k";
        var server = StandInServer.StartAsync().GetAwaiter().GetResult();
        try
        {
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "stand-in-key");
            return client.GetByteArrayAsync(new Uri("job/" + id, UriKind.Relative)).GetAwaiter().GetResult();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
