using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebFarm.Packaging.Tests.Systemd;

/// <summary>A `webfarm ROLE ...` process with the environment systemd would give it; its output is recorded; disposal kills it.</summary>
internal sealed class RoleProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public RoleProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Through env(1) with the signals' default handling, as systemd starts a unit: a test run started under nohup
        // (or from a shell that ignores SIGINT) passes its ignored signals on to the children, and .NET keeps an
        // inherited SIG_IGN, so the role's SIGHUP handler would never run (seen: no RELOADING=1 within 90 s).
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=HUP,INT,TERM");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(RepositoryPaths.WebFarmDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Output => string.Join('\n', _lines);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // the output's last lines
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
