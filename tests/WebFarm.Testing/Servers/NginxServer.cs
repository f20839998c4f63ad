using System.Diagnostics;
using System.Globalization;

namespace WebFarm.Testing;

/// <summary>
/// A real nginx (Debian package nginx) in the foreground on an ephemeral loopback port, with its own prefix directory,
/// serving the <c>server { ... }</c> block a test gives (inside <c>http { }</c>; "{PORT}" in it is replaced by the
/// port). Used as a peer that parses what the balancer sends, e.g. a PROXY protocol header (<c>listen ... proxy_protocol</c>).
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly string _directory;
    private Process? _process;

    private NginxServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts nginx with <paramref name="serverBlock"/>; retried on another port when the first is taken meanwhile.</summary>
    public static async Task<NginxServer> StartAsync(string serverBlock)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"nginx not found at {Binary}: install the Debian package nginx.");
        }

        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = new NginxServer(Directory.CreateTempSubdirectory("wf-nginx-").FullName, FreePort.Next());
            try
            {
                await server.StartProcessAsync(serverBlock);
                return server;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
                await server.DisposeAsync();
            }
        }

        throw new InvalidOperationException("nginx did not start: " + last?.Message, last);
    }

    public async ValueTask DisposeAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync(string serverBlock)
    {
        var d = _directory;
        var config = $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{d}}/nginx.pid;
            error_log {{d}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{d}}/body;
                proxy_temp_path {{d}}/proxy;
                fastcgi_temp_path {{d}}/fastcgi;
                uwsgi_temp_path {{d}}/uwsgi;
                scgi_temp_path {{d}}/scgi;
                {{serverBlock.Replace("{PORT}", Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)}}
            }
            """;
        var path = Path.Combine(d, "nginx.conf");
        await File.WriteAllTextAsync(path, config);
        var info = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-e", "stderr", "-p", d, "-c", path })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start nginx.");
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
                var log = File.Exists(Path.Combine(d, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(d, "error.log")) : string.Empty;
                throw new InvalidOperationException($"nginx exited with {process.ExitCode} (port {Port} taken?): {log}");
            }

            if (await FreePort.IsAcceptingAsync(Port))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"nginx did not accept connections on port {Port} within 20 s.");
    }
}
