using System.Diagnostics;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real redis-server process (Debian package redis-server) on an ephemeral loopback port, with no
/// persistence. Can be killed and restarted on the same port to simulate an outage.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string? _password;
    private readonly IReadOnlyList<string> _extraArgs;
    private Process? _process;

    private RedisServer(string directory, int port, string? password, IReadOnlyList<string> extraArgs)
    {
        _directory = directory;
        Port = port;
        _password = password;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string EndPoint => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server; <paramref name="extraArgs"/> (called once per port attempt) adds settings such as a cluster's.</summary>
    public static async Task<RedisServer> StartAsync(string? password = null, Func<IReadOnlyList<string>>? extraArgs = null)
    {
        if (!File.Exists("/usr/bin/redis-server"))
        {
            throw new InvalidOperationException("redis-server not found at /usr/bin/redis-server: install the Debian packages redis-server and redis-tools.");
        }

        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("wf-redis-").FullName;
            var server = new RedisServer(directory, FreePort.Next(), password, extraArgs?.Invoke() ?? []);
            try
            {
                await server.StartProcessAsync();
                return server;
            }
            catch (Exception ex)
            {
                last = ex;
                await server.DisposeAsync();
            }
        }

        throw new InvalidOperationException("redis-server did not start: " + last?.Message, last);
    }

    /// <summary>Kills the process (SIGKILL, like a crash); the port stops accepting.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    /// <summary>Starts redis-server again on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>Runs redis-cli against this server and returns its raw output, trimmed.</summary>
    public async Task<string> CliAsync(params string[] args)
    {
        var all = new List<string> { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-auth-warning" };
        if (_password is not null)
        {
            all.Add("-a");
            all.Add(_password);
        }

        all.AddRange(args);
        return (await ProcessRunner.RunAsync("redis-cli", all, TimeSpan.FromSeconds(20))).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("/usr/bin/redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var arg in _extraArgs)
        {
            info.ArgumentList.Add(arg);
        }

        if (_password is not null)
        {
            info.ArgumentList.Add("--requirepass");
            info.ArgumentList.Add(_password);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                _process = null;
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode} (port {Port} taken?).");
            }

            if (await FreePort.IsAcceptingAsync(Port))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"redis-server did not accept connections on port {Port} within 20 s.");
    }
}
