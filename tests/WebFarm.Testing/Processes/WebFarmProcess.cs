using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebFarm.Testing;

/// <summary>
/// `webfarm` (agent, controller, a CLI command) as a real process, on the host or inside a machine's namespace
/// (`ip netns exec` execs dotnet in place, so the process id is webfarm's own: SIGSTOP freezes it, SIGKILL kills it).
/// </summary>
public sealed class WebFarmProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _frozen;

    private WebFarmProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What it printed so far (for failure messages).</summary>
    public string Output => string.Join('\n', _output);

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts `webfarm <paramref name="arguments"/>` (the command first), in <paramref name="networkNamespace"/> when given.</summary>
    public static WebFarmProcess Start(string? networkNamespace, params string[] arguments)
    {
        string[] command = networkNamespace is null
            ? ["dotnet", RepositoryPaths.WebFarmDll, .. arguments]
            : ["ip", "netns", "exec", networkNamespace, "dotnet", RepositoryPaths.WebFarmDll, .. arguments];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.AsSpan(1))
        {
            start.ArgumentList.Add(arg);
        }

        return new WebFarmProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start webfarm {arguments[0]}"));
    }

    /// <summary>The first line printed that starts with <paramref name="prefix"/>; fails the test with the output when none comes in time.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var line in _output)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }

            if (_process.HasExited)
            {
                // Its last lines may still be on their way from the redirected streams: read them before judging (and
                // show them with the exit code: a process that exits at start-up says why).
                _process.WaitForExit();
                if (_output.Any(line => line.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    continue;
                }

                Assert.Fail($"webfarm printed no line starting with '{prefix}' (it exited with code {_process.ExitCode}):\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"webfarm printed no line starting with '{prefix}' (timed out):\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Exit code of a command that ends by itself (a CLI command), with what it printed.</summary>
    public async Task<(int Code, string Output)> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // Drains the redirected output's last lines.
        return (_process.ExitCode, Output);
    }

    /// <summary>SIGKILL: no shutdown code runs, the kernel closes its sockets.</summary>
    public void Kill() => ProcessProbe.Signal(_process.Id, "KILL");

    public void Freeze()
    {
        ProcessProbe.Signal(_process.Id, "STOP");
        _frozen = true;
    }

    public void Thaw()
    {
        ProcessProbe.Signal(_process.Id, "CONT");
        _frozen = false;
    }

    public async ValueTask DisposeAsync()
        => await ProcessProbe.StopAsync(
            _process,
            () =>
            {
                if (_frozen)
                {
                    Thaw();
                }

                ProcessProbe.Signal(_process.Id, "TERM");
            },
            TimeSpan.FromSeconds(10));

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
