using System.Diagnostics;

namespace WebFarm.Testing;

/// <summary>
/// A backend web server in its own process (tests/WebFarm.TestBackend), so it can really be killed with SIGKILL or
/// frozen with SIGSTOP (the kernel keeps accepting connections, nobody answers: "pulling the plug").
/// Disposing thaws, closes its standard input (it exits on EOF) and kills it if it lingers.
/// </summary>
public sealed class BackendProcess : IAsyncDisposable
{
    private static readonly HttpClient Control = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private bool _frozen;

    private BackendProcess(string name, Process process, Uri uri)
    {
        Name = name;
        _process = process;
        Uri = uri;
    }

    public string Name { get; }

    /// <summary>e.g. http://127.0.0.1:40123/</summary>
    public Uri Uri { get; }

    /// <summary>e.g. http://127.0.0.1:40123 (the form config files use).</summary>
    public string Address => Uri.GetLeftPart(UriPartial.Authority);

    public int ProcessId => _process.Id;

    /// <param name="name">Its name (the body of every page, and the X-Backend header).</param>
    /// <param name="networkNamespace">Run it inside this network namespace (`ip netns exec`), e.g. as a machine of its own.</param>
    /// <param name="bind">The address to listen on (default loopback) and <paramref name="port"/> (default any free one).</param>
    public static async Task<BackendProcess> StartAsync(string name, string? networkNamespace = null, string? bind = null, int port = 0)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null)
        {
            // `ip netns exec` execs dotnet in place, so the process id (for SIGSTOP) is the backend's own.
            foreach (var arg in (string[])["netns", "exec", networkNamespace, "dotnet"])
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(RepositoryPaths.TestBackendDll);
        start.ArgumentList.Add("--name");
        start.ArgumentList.Add(name);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (bind is not null)
        {
            start.ArgumentList.Add("--bind");
            start.ArgumentList.Add(bind);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test backend");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"test backend {name} exited: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
                if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
                {
                    return new BackendProcess(name, process, new Uri(line["LISTENING ".Length..].Trim() + "/"));
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Starts web1..webN and warms them up (first requests JIT-compile the app), so that a probe with a short
    /// timeout does not mistake a cold start for a sick server.</summary>
    public static async Task<BackendProcess[]> StartManyAsync(int count)
    {
        var backends = await Task.WhenAll(Enumerable.Range(1, count).Select(i => StartAsync("web" + i)));
        try
        {
            foreach (var backend in backends)
            {
                for (var i = 0; i < 3; i++)
                {
                    (await Control.GetAsync(new Uri(backend.Uri, "health"))).Dispose();
                    (await Control.GetAsync(new Uri(backend.Uri, "warmup"))).Dispose();
                }
            }
        }
        catch
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }

            throw;
        }

        return backends;
    }

    /// <summary>Starts <paramref name="count"/> backends with <see cref="StartManyAsync"/>, runs <paramref name="test"/>
    /// and stops every backend afterwards, even when the test fails.</summary>
    public static async Task WithManyAsync(int count, Func<BackendProcess[], Task> test)
    {
        var backends = await StartManyAsync(count);
        try
        {
            await test(backends);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    /// <summary>SIGKILL: the process dies at once, its sockets are reset or refused.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: connections are still accepted by the kernel, but nothing is ever answered.</summary>
    public void Freeze()
    {
        Signal("STOP");
        _frozen = true;

        // Frozen means frozen from here on: a test that counts what the server answered after this call must not see
        // answers its threads gave in the moments the signal took to reach them.
        ProcessProbe.WaitUntilStopped(_process.Id, TimeSpan.FromSeconds(10));
    }

    public void Thaw()
    {
        Signal("CONT");
        _frozen = false;
    }

    public Task SetHealthStatusAsync(int status) => PostAsync($"control/health/{status}");

    public Task SetPageStatusAsync(int status) => PostAsync($"control/pages/{status}");

    public async ValueTask DisposeAsync()
    {
        await ProcessProbe.StopAsync(
            _process,
            () =>
            {
                if (_frozen)
                {
                    Thaw();
                }

                _process.StandardInput.Close();
            },
            TimeSpan.FromSeconds(5));
    }

    private async Task PostAsync(string path)
    {
        using var response = await Control.PostAsync(new Uri(Uri, path), null);
        response.EnsureSuccessStatusCode();
    }

    private void Signal(string signal) => ProcessProbe.Signal(_process.Id, signal);
}
