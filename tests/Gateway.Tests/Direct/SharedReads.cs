namespace Gateway.Tests.Direct;

/// <summary>Polls of a running job on one keep-alive connection, as the direct-path tests make them.</summary>
internal static class SharedReads
{
    /// <summary>Reads the job <paramref name="times"/> times, each answer the running one shared within its window.</summary>
    public static async Task ReadSharedAsync(this WireConnection polling, string request, byte[] running, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await polling.SendAsync(request);
            var shared = await polling.ReadResponseAsync();
            Assert.StartsWith("Gateway; hit; ttl=", shared.Header("Cache-Status"), StringComparison.Ordinal);
            Assert.Equal(running, shared.Body);
        }
    }
}
