using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Gateway.Redis;

/// <summary>
/// The deployment's Redis as every feature sees it, or its absence: the response store, leases, notices, the census,
/// running answers, quotas and usage all go through here, so they share one connection, one outage policy
/// (<see cref="RedisOutage"/>) and one breaker. A command is not sent while the breaker is open, and a command that
/// fails opens it; either way the caller gets its stated fallback and carries on alone.
/// </summary>
internal sealed class SharedRedis(RedisConnection? connection, RedisBreaker? breaker, IDistributedCache? store) : IAsyncDisposable
{
    /// <summary>Whether a Redis is configured at all.</summary>
    public bool IsConfigured => connection is not null;

    /// <summary>Configured and not known to be away: commands are worth sending.</summary>
    public bool IsReachable => breaker?.IsClosed ?? false;

    /// <summary>Healthy as far as callers are concerned: reachable, or none configured (nothing to be degraded).</summary>
    public bool IsHealthy => breaker?.IsClosed ?? true;

    /// <summary>The response store (terminal entries) on this connection; null without Redis.</summary>
    public IDistributedCache? Store => store;

    /// <summary>Runs one command, or answers <paramref name="whenAway"/> without Redis, while it is away, or when it fails.</summary>
    public async Task<T> TryAsync<T>(Func<IDatabase, Task<T>> command, T whenAway)
    {
        if (!IsReachable)
        {
            return whenAway;
        }

        try
        {
            return await command((await connection!.GetAsync()).GetDatabase());
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            breaker!.Open(exception);
            return whenAway;
        }
    }

    /// <summary>
    /// For a heartbeat that must keep its own rhythm (the replica census): sent even while the breaker is open, and its
    /// failures leave the breaker alone. A pause as long as the breaker's retry interval would have other replicas
    /// count this one out.
    /// </summary>
    public async Task<T> TryOutsideBreakerAsync<T>(Func<IDatabase, Task<T>> command, T whenAway)
    {
        if (connection is null)
        {
            return whenAway;
        }

        try
        {
            return await command((await connection.GetAsync()).GetDatabase());
        }
        catch (Exception exception) when (RedisOutage.Is(exception))
        {
            return whenAway;
        }
    }

    /// <returns>Whether the command ran.</returns>
    public Task<bool> TryAsync(Func<IDatabase, Task> command) => TryAsync(async database =>
    {
        await command(database);
        return true;
    }, false);

    /// <summary>
    /// Runs work against the response store; an outage there opens the breaker like any other command's.
    /// Cancellation by the caller is not an outage and propagates.
    /// </summary>
    public async Task<T> TryStoreAsync<T>(Func<IDistributedCache, Task<T>> work, T whenAway, CancellationToken cancellationToken)
    {
        if (store is null || !IsReachable)
        {
            return whenAway;
        }

        try
        {
            return await work(store);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store is a library over the same connection whose failures are not all the client's own types;
            // whatever it throws, the cache fails open rather than failing the read.
            breaker!.Open(exception);
            return whenAway;
        }
    }

    /// <summary>The connection itself, for what is not a command (pub/sub subscriptions); throws while Redis is away.</summary>
    public Task<IConnectionMultiplexer> ConnectAsync() =>
        connection?.GetAsync() ?? throw new InvalidOperationException("No Redis is configured.");

    public ValueTask DisposeAsync() => connection?.DisposeAsync() ?? ValueTask.CompletedTask;
}
