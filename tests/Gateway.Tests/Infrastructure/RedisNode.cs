using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// One redis-server (or sentinel) process of a cluster or Sentinel fixture, in a private directory, on a loopback
/// port chosen by the fixture. It can be killed hard (SIGKILL, as a crashed host) and started again on the same port
/// and directory, which is how a failed node comes back. Commands go over a raw RESP socket, not through the client
/// under test, so a client bug cannot hide a fixture's state.
/// </summary>
public sealed class RedisNode : IAsyncDisposable
{
    private readonly string[] _arguments;
    private Process? _process;

    public RedisNode(int port, string directory, params string[] arguments)
    {
        Port = port;
        Directory = directory;
        _arguments = arguments;
    }

    public int Port { get; }

    public string Directory { get; }

    public string EndPoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public bool IsRunning => _process is { HasExited: false };

    /// <param name="extra">Arguments for this start only, such as the primary a restarted node now follows.</param>
    public async Task StartAsync(params string[] extra)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in _arguments.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("redis-server not found on PATH; install it with `apt-get install -y redis-server redis-tools`.", exception);
        }

        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if (await SendAsync("PING") as string == "PONG")
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is SocketException or IOException)
            {
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"redis-server on port {Port} did not answer PING (arguments: {string.Join(' ', _arguments)}).");
    }

    /// <summary>SIGKILL: no shutdown, no last write, no goodbye to the cluster or the sentinels.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>
    /// One command; the reply as a string (simple and bulk strings), a long (integers), an object?[] (arrays) or
    /// null. An error reply throws.
    /// </summary>
    public async Task<object?> SendAsync(params string[] command)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        await using var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
        using var reader = new BufferedStream(stream);
        return await ReadAsync(reader, timeout.Token);
    }

    /// <summary>A field of INFO or CLUSTER INFO ("role", "cluster_state", ...), or null.</summary>
    public async Task<string?> InfoFieldAsync(string field, params string[] command)
    {
        var text = await SendAsync(command.Length == 0 ? ["INFO"] : command) as string ?? string.Empty;
        return text.Split("\r\n").Select(static l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == field)?[1];
    }

    public ValueTask DisposeAsync() => new(KillAsync());

    private static async Task<object?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(stream, cancellationToken);
        var rest = line[1..];
        switch (line[0])
        {
            case '+':
                return rest;
            case '-':
                throw new InvalidOperationException("Redis error: " + rest);
            case ':':
                return long.Parse(rest, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var bytes = new byte[length + 2];
                await stream.ReadExactlyAsync(bytes, cancellationToken);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = await ReadAsync(stream, cancellationToken);
                }

                return items;
            default:
                throw new InvalidOperationException("Unexpected RESP reply: " + line);
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("Redis closed the connection.");
            }

            if (one[0] == '\n' && line.Length > 0 && line[^1] == '\r')
            {
                return line.ToString(0, line.Length - 1);
            }

            line.Append((char)one[0]);
        }
    }

    /// <summary>Free loopback ports, held open together while they are chosen so none is handed out twice.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(static _ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(static l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
