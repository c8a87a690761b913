using System.ComponentModel;
using System.Diagnostics;

namespace Gateway.Tests.Sdk;

/// <summary>What a child process printed, and how it ended.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// tests/sdk-e2e: the pinned official SDK and the script that drives it. Installs it with <c>npm ci</c> when
/// node_modules is missing, so <c>dotnet test Gateway.sln</c> alone works on any machine with node and npm.
/// </summary>
public static class SdkWorkspace
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _nodeChecked;

    public static string Directory { get; } = Locate();

    public static async Task EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        await InstallLock.WaitAsync(cancellationToken);
        try
        {
            // First, so a machine without Node fails with the install hint rather than an npm or script error.
            if (!_nodeChecked)
            {
                await RunAsync("node", ["--version"], new Dictionary<string, string?>(), TimeSpan.FromSeconds(30), cancellationToken);
                _nodeChecked = true;
            }

            if (File.Exists(Path.Combine(Directory, "node_modules", "reductoai", "package.json")))
            {
                return;
            }

            // The lockfile pins every package, so this installs exactly what was reviewed, or fails.
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string?>(),
                TimeSpan.FromMinutes(3), cancellationToken);
            Assert.True(install.ExitCode == 0, "npm ci in tests/sdk-e2e failed: " + install);
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Runs a program in the workspace; kills it (and its children) and fails the test past the timeout.</summary>
    public static async Task<ProcessResult> RunAsync(
        string program, string[] arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Launch(start);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"`{program} {string.Join(' ', arguments)}` did not finish within {timeout}: " +
                new ProcessResult(-1, await stdout, await stderr));
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private static Process Launch(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException(start.FileName + " did not start.");
        }
        catch (Win32Exception exception)
        {
            // Like redis-server: never skip silently; say how to get what is missing.
            throw new InvalidOperationException(
                $"`{start.FileName}` not found on PATH; the SDK end-to-end tests need Node.js and npm: " +
                "`apt-get install -y nodejs npm` (Debian/Ubuntu) or `brew install node`.",
                exception);
        }
    }

    private static string Locate()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.sln")))
        {
            root = root.Parent;
        }

        return root is null
            ? throw new InvalidOperationException("No Gateway.sln above " + AppContext.BaseDirectory + ".")
            : Path.Combine(root.FullName, "tests", "sdk-e2e");
    }
}
