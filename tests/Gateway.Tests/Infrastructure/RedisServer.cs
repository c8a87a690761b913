using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, started and stopped by the tests. It never skips: without the
/// binary the run fails and says how to install it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public ValueTask InitializeAsync() => new(StartAsync());

    /// <summary>
    /// Starts on a fresh free port the first time; a restart keeps the port, because clients under test point at it.
    /// </summary>
    public async Task StartAsync()
    {
        var restart = Port != 0;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (!restart)
            {
                Port = FreePort();
            }

            _process = Launch(Port);
            if (await AnswersPingAsync(TimeSpan.FromSeconds(10)))
            {
                return;
            }

            await StopAsync();
            await Task.Delay(200);
        }

        throw new InvalidOperationException($"redis-server did not answer PING on port {Port}.");
    }

    public async Task StopAsync()
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

    public async ValueTask DisposeAsync() => await StopAsync();

    private static Process Launch(int port)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--protected-mode", "no", "--enable-debug-command", "local" })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException(
                "redis-server not found on PATH; install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`.",
                exception);
        }
    }

    private async Task<bool> AnswersPingAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
            {
                return false;
            }

            try
            {
                if (await SendAsync("PING") == "+PONG")
                {
                    return true;
                }
            }
            catch (SocketException)
            {
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
