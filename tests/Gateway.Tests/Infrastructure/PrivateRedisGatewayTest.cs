namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A gateway test with a redis-server of its own, for tests that stop, stall or flush Redis: the shared server is
/// never touched, so neighbours cannot be broken.
/// </summary>
public abstract class PrivateRedisGatewayTest : GatewayTest
{
    protected RedisServer Redis { get; } = new();

    protected override string? RedisConnectionString => Redis.ConnectionString;

    public override async ValueTask InitializeAsync()
    {
        await Redis.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Redis.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
