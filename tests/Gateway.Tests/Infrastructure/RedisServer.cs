using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, started and stopped by the tests. It never skips: without the
/// binary the run fails and says how to install it. The process itself is a <see cref="RedisNode"/>, as the cluster
/// and Sentinel fixtures' nodes are.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gateway-redis-" + Guid.NewGuid().ToString("N"));
    private RedisNode? _node;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public ValueTask InitializeAsync() => new(StartAsync());

    /// <summary>
    /// Starts on a fresh free port the first time; a restart keeps the port, because clients under test point at it.
    /// A fresh port another process took between choosing and binding costs one more attempt on another port.
    /// </summary>
    public async Task StartAsync()
    {
        var restart = Port != 0;
        for (var attempt = 1; ; attempt++)
        {
            if (!restart)
            {
                Port = RedisNode.FreePorts(1)[0];
            }

            _node = new RedisNode(Port, _directory, Arguments(Port));
            try
            {
                await _node.StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                await StopAsync();
            }
        }
    }

    public async Task StopAsync()
    {
        if (_node is { } node)
        {
            _node = null;
            await node.KillAsync();
        }
    }

    /// <summary>Sends one command as RESP and returns the raw reply (first line for simple replies).</summary>
    public async Task<string> SendAsync(params string[] command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        await using var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[64 * 1024];
        var read = await stream.ReadAsync(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\r', '\n');
    }

    /// <summary>Whether the server answers a PING within <paramref name="timeout"/>: false while it is stalled (DEBUG SLEEP) or down.</summary>
    public async Task<bool> AnswersWithinAsync(TimeSpan timeout)
    {
        try
        {
            return await SendAsync("PING").WaitAsync(timeout) == "+PONG";
        }
        catch (Exception exception) when (exception is TimeoutException or SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static string[] Arguments(int port) =>
    [
        "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--protected-mode", "no", "--enable-debug-command", "local",
    ];
}
