using Gateway.Tests.Infrastructure;

// One redis-server for the whole run; classes are isolated by key prefix and upstream fingerprint.
// Tests that stop Redis start a private server of their own.
[assembly: AssemblyFixture(typeof(RedisServer))]
