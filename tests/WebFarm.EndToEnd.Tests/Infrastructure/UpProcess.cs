using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>
/// `webfarm up` as a real process (dotnet webfarm.dll up …) on ports chosen by the test, running the
/// HelloFarm build. Records its output and every instance pid it reports, so that disposal can kill
/// whatever is left even when a test fails half-way.
/// </summary>
internal sealed partial class UpProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(150);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<int>> _pids = new();

    private UpProcess(Process process, int port, int adminPort, int statePort)
    {
        _process = process;
        Port = port;
        AdminPort = adminPort;
        StatePort = statePort;
        Url = new Uri($"http://127.0.0.1:{port}/");
        AdminUrl = new Uri($"http://127.0.0.1:{adminPort}/");
    }

    public int Port { get; }

    public int AdminPort { get; }

    public int StatePort { get; }

    public Uri Url { get; }

    public Uri AdminUrl { get; }

    /// <summary>The controller URL `up` printed ("Controller: URL …"); set once <see cref="StartAsync"/> returns.</summary>
    public Uri? ControllerUrl { get; private set; }

    public int Pid => _process.Id;

    public Process Process => _process;

    public string Output => string.Join('\n', _output);

    /// <summary>Every pid reported for each instance (web1 → [first, after restart, …]).</summary>
    public IReadOnlyDictionary<string, ConcurrentBag<int>> InstancePids => _pids;

    public IEnumerable<int> AllInstancePids => _pids.Values.SelectMany(p => p);

    /// <summary>Starts `webfarm up` and waits until it says it is up.</summary>
    /// <param name="app">What to pass as --app (default: the HelloFarm build).</param>
    /// <param name="options">More `up` options, e.g. ["--health-path", "/ready"].</param>
    public static async Task<UpProcess> StartAsync(int servers = 3, string? app = null, IReadOnlyList<string>? options = null)
    {
        var ports = FreePort.Many(4);
        var up = Launch([.. UpArguments(servers, app, ports), .. options ?? []], ports[0], ports[1], ports[2]);
        try
        {
            await Eventually.TrueAsync(() =>
            {
                Assert.False(up._process.HasExited, $"webfarm up exited with {(up._process.HasExited ? up._process.ExitCode : 0)}:\n{up.Output}");
                // "Controller: URL" comes right after "WebFarm is up:": wait for both, so ControllerUrl is set.
                return up.ControllerUrl is not null && up._output.Any(l => l.StartsWith("WebFarm is up:", StringComparison.Ordinal));
            }, StartTimeout, $"webfarm up to start; output so far:\n{up.Output}");
        }
        catch
        {
            await up.DisposeAsync();
            throw;
        }

        return up;
    }

    /// <summary>`up --servers N --app APP --port … --admin-port … --state-port … --controller-port …` on the given four ports.</summary>
    public static string[] UpArguments(int servers, string? app, int[] ports)
        => ["up", "--servers", servers.ToString(CultureInfo.InvariantCulture), "--app", app ?? RepositoryPaths.HelloFarmDll,
            "--port", $"{ports[0]}", "--admin-port", $"{ports[1]}", "--state-port", $"{ports[2]}", "--controller-port", $"{ports[3]}"];

    /// <summary>Runs `webfarm` with <paramref name="arguments"/> (same environment as the farm) and waits for it to exit.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
        => RunToExitAsync(StartInfo(arguments), timeout);

    /// <summary>Runs a process (output redirected) and waits for it to exit; killed, with its children, after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(ProcessStartInfo startInfo, TimeSpan timeout)
    {
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends a signal (TERM, INT, KILL) to `webfarm up`.</summary>
    public void Signal(string signal) => ProcessProbe.Signal(_process.Id, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>The balancer's view of a server, from the admin API.</summary>
    public async Task<JsonElement> GetServerAsync(HttpClient client, string name)
    {
        using var response = await client.GetAsync(new Uri(AdminUrl, $"/api/farms/web/servers/{name}"));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The balancer's events (time, farm, server, kind, message), from the admin API.</summary>
    public async Task<JsonElement[]> GetEventsAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri(AdminUrl, "/api/events?since=0"));
        response.EnsureSuccessStatusCode();
        var events = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return [.. events.EnumerateArray().Select(e => e.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            ProcessProbe.TrySignal(_process.Id, "KILL");
            await _process.WaitForExitAsync();
        }

        // Should nothing else have ended them (the point of several tests), do not leave them behind.
        foreach (var pid in AllInstancePids)
        {
            ProcessProbe.KillHard(pid);
        }

        _process.Dispose();
    }

    private static UpProcess Launch(IReadOnlyList<string> arguments, int port, int adminPort, int statePort)
    {
        var process = Process.Start(StartInfo(arguments))!;
        var up = new UpProcess(process, port, adminPort, statePort);
        process.OutputDataReceived += (_, e) => up.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => up.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return up;
    }

    private static ProcessStartInfo StartInfo(IReadOnlyList<string> arguments)
    {
        var startInfo = new ProcessStartInfo(RepositoryPaths.DotNetHost, [RepositoryPaths.WebFarmDll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        return startInfo;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.StartsWith("Controller: ", StringComparison.Ordinal))
        {
            ControllerUrl = new Uri(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }

        // "web1 ready on http://… (pid 123)", "web1 online: http://… (pid 123)", "… web1 running: pid 456 on port …"
        var match = PidLine().Match(line);
        if (match.Success)
        {
            var pids = _pids.GetOrAdd(match.Groups["name"].Value, _ => []);
            var pid = int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture);
            if (!pids.Contains(pid))
            {
                pids.Add(pid);
            }
        }
    }

    [GeneratedRegex(@"(?<name>web\d+) (ready on \S+ \(pid |online: \S+ \(pid |running: pid )(?<pid>\d+)")]
    private static partial Regex PidLine();
}
